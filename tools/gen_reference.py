#!/usr/bin/env python3
"""Generate the demo province's reference tables for ioc-stream.

Writes UTF-8 CSV files (header row, comma separated, "\\n" line endings) into
queries/reference/ next to this repository's queries/streams.toml:

    communes.csv           102 communes and wards (two-level local government, 2025)
    agencies.csv           provincial agencies after the 2025 merger, plus UBND_XA
    procedures.csv         administrative procedures (one-stop shop catalogue)
    facilities.csv         hospitals, health stations, schools, service centres, utilities
    base_stations.csv      telecom base stations (Viettel, VNPT, MobiFone)
    sensor_sites.csv       environment sensors (aqi, pm25, water_level)
    sensor_thresholds.csv  alert thresholds per sensor kind

and the communes' boundaries, for the map panels, into frontend/public/geo/:

    communes.geojson       one polygon per commune: the cell of points nearer its centre than any
                           other's (a Voronoi cell), clipped to the province outline

The province is synthetic (centred on lat 20.95, lon 105.75); names are built
from Vietnamese place-name syllables. The output is deterministic: a fixed
random seed and no dependence on hash order, so running
`python3 tools/gen_reference.py` again rewrites byte-identical files.
Standard library only.

Two things are shaped by how ioc-stream loads these files (src/catalog.rs):
  * a reference table must not share its name with a stream, and streams.toml
    already has the streams `stations` and `sensors`, hence `base_stations` and
    `sensor_sites` (see OUTPUT_NAMES);
  * Arrow's CSV schema inference reads a bare "1.001234" as a float, so a
    procedure code carries the national suffix ".000.00.00.H99" and stays text
    (see PROC_CODE_SUFFIX).
"""

import csv
import json
import math
import os
import random
import unicodedata

SEED = 20250701
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "queries", "reference")
GEO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "frontend", "public", "geo")

# Table name -> file name. Reference tables are registered under their file stem.
OUTPUT_NAMES = {
    "communes": "communes.csv",
    "agencies": "agencies.csv",
    "procedures": "procedures.csv",
    "facilities": "facilities.csv",
    "stations": "base_stations.csv",
    "sensors": "sensor_sites.csv",
    "sensor_thresholds": "sensor_thresholds.csv",
}

# "1.001234" + suffix. An empty suffix gives the short national form, which Arrow infers as Float64.
PROC_CODE_SUFFIX = ".000.00.00.H99"

CENTER_LAT = 20.95
CENTER_LON = 105.75
HALF_SPAN = 0.45  # degrees; the province covers about 0.9 x 0.9 degrees

N_WARDS = 24
N_COMMUNES = 78
N_PROCEDURES = 1700
N_STATIONS = 320


def nfc(s):
    return unicodedata.normalize("NFC", s)


def write_csv(table, header, rows):
    path = os.path.join(OUT_DIR, OUTPUT_NAMES[table])
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(header)
        for row in rows:
            assert len(row) == len(header), (table, row)
            out = []
            for v in row:
                if isinstance(v, bool):
                    v = "true" if v else "false"
                v = nfc(str(v))
                assert v != "", (table, row)
                out.append(v)
            w.writerow(out)
    return path


# ---------------------------------------------------------------------------
# Communes and wards
# ---------------------------------------------------------------------------

FIRST_SYLLABLES = [
    "An", "Bình", "Bảo", "Cẩm", "Châu", "Đại", "Đông", "Đức", "Gia", "Hà", "Hải", "Hòa", "Hoàng",
    "Hồng", "Hưng", "Kim", "Lạc", "Liên", "Long", "Minh", "Mỹ", "Nam", "Ngọc", "Nghĩa", "Phú",
    "Phúc", "Phương", "Quang", "Quảng", "Sơn", "Tam", "Tân", "Thạch", "Thái", "Thanh", "Thành",
    "Thịnh", "Thượng", "Tiên", "Trung", "Tuy", "Văn", "Vạn", "Vĩnh", "Xuân", "Yên", "Cao", "Hiệp",
]
SECOND_SYLLABLES = [
    "An", "Bình", "Châu", "Cường", "Dương", "Điền", "Đông", "Đức", "Hà", "Hải", "Hiền", "Hòa",
    "Hợp", "Hưng", "Khánh", "Lạc", "Lâm", "Lập", "Lộc", "Lợi", "Long", "Minh", "Mỹ", "Nghĩa",
    "Nguyên", "Nhân", "Phong", "Phú", "Phúc", "Quang", "Sơn", "Tân", "Thái", "Thành", "Thịnh",
    "Thọ", "Thuận", "Tiến", "Trung", "Trường", "Tường", "Vinh", "Xuyên", "Yên", "Kiều", "Đạo",
]
WARD_FIRST = [
    "Đông", "Tây", "Nam", "Bắc", "Trung", "Quang", "Minh", "Tân", "Thành", "Hưng", "Bình", "Hồng",
    "Ngọc", "Hoàng", "Kim", "Phú", "Thanh", "Hà",
]
WARD_SECOND = [
    "Thành", "Sơn", "Minh", "Hà", "Phong", "Tiến", "Trung", "Hòa", "Thịnh", "Lợi", "Châu", "Long",
    "Quang", "Hải", "Bình", "Hưng", "An", "Lâm", "Xuyên",
]


def make_names(rng, n_wards, n_communes):
    used = []
    seen = {}

    def take(firsts, seconds):
        while True:
            a = rng.choice(firsts)
            b = rng.choice(seconds)
            if a == b:
                continue
            name = a + " " + b
            if name in seen or (b + " " + a) in seen:
                continue
            seen[name] = True
            used.append(name)
            return name

    wards = [take(WARD_FIRST, WARD_SECOND) for _ in range(n_wards)]
    communes = [take(FIRST_SYLLABLES, SECOND_SYLLABLES) for _ in range(n_communes)]
    return wards, communes


def place_wards(rng, n):
    """Sunflower layout around the centre with jitter: a compact provincial capital."""
    golden = math.pi * (3 - math.sqrt(5))
    pts = []
    for i in range(n):
        r = 0.125 * math.sqrt((i + 0.5) / n)
        a = i * golden + rng.uniform(-0.25, 0.25)
        r *= rng.uniform(0.92, 1.08)
        pts.append((CENTER_LAT + r * math.sin(a), CENTER_LON + r * math.cos(a) * 1.05))
    return pts


def place_communes(rng, n, wards):
    """Dart throwing over the province outside the capital, with a minimum spacing."""
    pts = []
    min_d = 0.068
    tries = 0
    while len(pts) < n:
        tries += 1
        if tries % 20000 == 0:
            min_d *= 0.97
        lat = CENTER_LAT + rng.uniform(-HALF_SPAN + 0.02, HALF_SPAN - 0.02)
        lon = CENTER_LON + rng.uniform(-HALF_SPAN + 0.02, HALF_SPAN - 0.02)
        # a slightly rounded province: cut the corners
        dx, dy = (lon - CENTER_LON) / HALF_SPAN, (lat - CENTER_LAT) / HALF_SPAN
        if dx * dx + dy * dy > 1.55:
            continue
        if math.hypot(lat - CENTER_LAT, lon - CENTER_LON) < 0.16:
            continue
        if any(math.hypot(lat - p[0], lon - p[1]) < min_d for p in pts):
            continue
        if any(math.hypot(lat - p[0], lon - p[1]) < 0.05 for p in wards):
            continue
        pts.append((lat, lon))
    return pts


def build_communes(rng):
    ward_names, commune_names = make_names(rng, N_WARDS, N_COMMUNES)
    ward_pts = place_wards(rng, N_WARDS)
    commune_pts = place_communes(rng, N_COMMUNES, ward_pts)

    rows = []
    # Wards: cluster 01, ordered from the centre outwards.
    order = sorted(range(N_WARDS), key=lambda i: math.hypot(ward_pts[i][0] - CENTER_LAT, ward_pts[i][1] - CENTER_LON))
    for seq, i in enumerate(order, start=1):
        lat, lon = ward_pts[i]
        d = math.hypot(lat - CENTER_LAT, lon - CENTER_LON)
        pop = int(rng.triangular(24000, 60000, 52000 - d * 150000))
        rows.append({
            "code": "X01%02d" % seq, "base": ward_names[i], "kind": "phuong",
            "lat": lat, "lon": lon, "population": round(pop, -1),
        })
    # Communes: clusters 02..07 by compass sector (north, then clockwise), ordered outwards.
    sectors = [[] for _ in range(6)]
    for i, (lat, lon) in enumerate(commune_pts):
        ang = math.degrees(math.atan2(lon - CENTER_LON, lat - CENTER_LAT)) % 360  # 0 = north
        sectors[int(((ang + 30) % 360) // 60)].append(i)
    for k, members in enumerate(sectors):
        members.sort(key=lambda i: (math.hypot(commune_pts[i][0] - CENTER_LAT, commune_pts[i][1] - CENTER_LON), i))
        for seq, i in enumerate(members, start=1):
            lat, lon = commune_pts[i]
            d = math.hypot(lat - CENTER_LAT, lon - CENTER_LON)
            pop = int(rng.triangular(8000, 36000, max(9000, 30000 - d * 35000)))
            rows.append({
                "code": "X%02d%02d" % (k + 2, seq), "base": commune_names[i], "kind": "xa",
                "lat": lat, "lon": lon, "population": round(pop, -1),
            })
    rows.sort(key=lambda r: r["code"])
    for r in rows:
        r["name"] = ("Phường " if r["kind"] == "phuong" else "Xã ") + r["base"]
        r["lower"] = ("phường " if r["kind"] == "phuong" else "xã ") + r["base"]
    return rows


# ---------------------------------------------------------------------------
# Agencies
# ---------------------------------------------------------------------------

AGENCIES = [
    ("VP_UBND", "Văn phòng Ủy ban nhân dân tỉnh", "Office of the Provincial People's Committee", "province"),
    ("SO_NV", "Sở Nội vụ", "Department of Home Affairs", "province"),
    ("SO_TP", "Sở Tư pháp", "Department of Justice", "province"),
    ("SO_TC", "Sở Tài chính", "Department of Finance", "province"),
    ("SO_CT", "Sở Công Thương", "Department of Industry and Trade", "province"),
    ("SO_XD", "Sở Xây dựng", "Department of Construction", "province"),
    ("SO_NNMT", "Sở Nông nghiệp và Môi trường", "Department of Agriculture and Environment", "province"),
    ("SO_KHCN", "Sở Khoa học và Công nghệ", "Department of Science and Technology", "province"),
    ("SO_GDDT", "Sở Giáo dục và Đào tạo", "Department of Education and Training", "province"),
    ("SO_YT", "Sở Y tế", "Department of Health", "province"),
    ("SO_VHTTDL", "Sở Văn hóa, Thể thao và Du lịch", "Department of Culture, Sports and Tourism", "province"),
    ("SO_DTTG", "Sở Dân tộc và Tôn giáo", "Department of Ethnic Minorities and Religion", "province"),
    ("TTR", "Thanh tra tỉnh", "Provincial Inspectorate", "province"),
    ("BQL_KCN", "Ban Quản lý các khu công nghiệp tỉnh", "Industrial Zones Management Board", "province"),
    ("CA_TINH", "Công an tỉnh", "Provincial Police", "province"),
    ("BCH_QS", "Bộ Chỉ huy Quân sự tỉnh", "Provincial Military Command", "province"),
    ("BHXH", "Bảo hiểm xã hội tỉnh", "Provincial Social Insurance", "province"),
    ("THUE", "Thuế tỉnh", "Provincial Tax Office", "province"),
    ("KBNN", "Kho bạc Nhà nước khu vực", "Regional State Treasury", "province"),
    ("NHNN", "Ngân hàng Nhà nước Chi nhánh khu vực", "State Bank of Vietnam Regional Branch", "province"),
    ("UBND_XA", "Ủy ban nhân dân cấp xã", "Commune People's Committees", "commune"),
]

# How many procedures each agency gets (before capping at the size of its name pool).
PROC_TARGETS = {
    "UBND_XA": 489,
    "SO_NNMT": 150, "SO_YT": 130, "CA_TINH": 120, "SO_XD": 110, "SO_CT": 110, "SO_GDDT": 100,
    "SO_TP": 70, "SO_VHTTDL": 70, "SO_NV": 60, "SO_TC": 50, "SO_KHCN": 45, "BQL_KCN": 34,
    "BHXH": 34, "THUE": 30, "SO_DTTG": 24, "TTR": 12, "VP_UBND": 10, "BCH_QS": 10, "NHNN": 10,
    "KBNN": 8,
}

# ---------------------------------------------------------------------------
# Procedure name templates
#
# One template per line:  [actions ::] object [## optional qualifiers | => required qualifiers]
#   actions     "Cấp|Cấp lại|Gia hạn" - one name per action, prefixed to the object
#   ## a; b     the bare name plus one name per qualifier
#   => a; b     one name per qualifier only
# ---------------------------------------------------------------------------

LIB = {
    "UBND_XA": [
        ("Hộ tịch", """
Đăng ký khai sinh ## có yếu tố nước ngoài; lưu động; kết hợp nhận cha, mẹ, con; cho trẻ bị bỏ rơi; cho người đã có hồ sơ, giấy tờ cá nhân; có yếu tố nước ngoài kết hợp nhận cha, mẹ, con
Đăng ký kết hôn ## có yếu tố nước ngoài; lưu động; của công dân Việt Nam với công dân nước láng giềng ở khu vực biên giới
Đăng ký khai tử ## có yếu tố nước ngoài; lưu động; cho người chết tại nơi không phải nơi cư trú cuối cùng
Đăng ký nhận cha, mẹ, con ## có yếu tố nước ngoài; lưu động
Đăng ký giám hộ ## có yếu tố nước ngoài
Đăng ký chấm dứt giám hộ ## có yếu tố nước ngoài
Đăng ký thay đổi giám hộ ## có yếu tố nước ngoài
Đăng ký giám sát việc giám hộ
Đăng ký chấm dứt giám sát việc giám hộ
Đăng ký lại khai sinh ## có yếu tố nước ngoài
Đăng ký lại kết hôn ## có yếu tố nước ngoài
Đăng ký lại khai tử ## có yếu tố nước ngoài
Đăng ký khai sinh cho người đã được đăng ký hộ tịch trước đây nhưng chưa có bản chính Giấy khai sinh
Thay đổi, cải chính, bổ sung thông tin hộ tịch ## có yếu tố nước ngoài; cho người từ đủ 14 tuổi trở lên; kết hợp đăng ký lại khai sinh
Xác định lại dân tộc
Cấp bản sao trích lục hộ tịch ## có yếu tố nước ngoài
Cấp Giấy xác nhận tình trạng hôn nhân => cho công dân Việt Nam cư trú trong nước; để đăng ký kết hôn với người nước ngoài; để sử dụng vào mục đích khác
Ghi vào Sổ hộ tịch việc hộ tịch của công dân Việt Nam đã được giải quyết tại cơ quan có thẩm quyền của nước ngoài => về khai sinh; về kết hôn; về khai tử; về nhận cha, mẹ, con; về giám hộ; về thay đổi hộ tịch
Ghi vào Sổ hộ tịch việc ly hôn, hủy việc kết hôn đã được giải quyết tại cơ quan có thẩm quyền của nước ngoài
Ghi vào Sổ hộ tịch việc thay đổi hộ tịch theo bản án, quyết định của cơ quan nhà nước có thẩm quyền => về xác định cha, mẹ, con; về thay đổi quốc tịch; về xác định lại giới tính; về nuôi con nuôi; về hủy việc kết hôn trái pháp luật; về tuyên bố mất tích; về tuyên bố chết
Đăng ký nuôi con nuôi trong nước ## lưu động
Đăng ký lại việc nuôi con nuôi trong nước
Đăng ký việc nuôi con nuôi thực tế
Giải quyết việc người nước ngoài thường trú ở Việt Nam nhận trẻ em Việt Nam làm con nuôi
Liên thông thủ tục hành chính về đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi
Liên thông thủ tục hành chính về đăng ký khai tử, xóa đăng ký thường trú, hưởng chế độ tử tuất, hỗ trợ chi phí mai táng
"""),
        ("Chứng thực", """
Chứng thực bản sao từ bản chính giấy tờ, văn bản => do cơ quan có thẩm quyền của Việt Nam cấp; do cơ quan, tổ chức có thẩm quyền của nước ngoài cấp; do cơ quan có thẩm quyền của Việt Nam cấp hoặc chứng nhận
Chứng thực chữ ký trong các giấy tờ, văn bản ## áp dụng cho cả trường hợp chứng thực điểm chỉ; trong trường hợp người yêu cầu không ký, không điểm chỉ được
Chứng thực chữ ký người dịch ## không phải là cộng tác viên dịch thuật
Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản ## ngoài trụ sở
Chứng thực hợp đồng, giao dịch liên quan đến thực hiện các quyền của người sử dụng đất ## ngoài trụ sở
Chứng thực hợp đồng, giao dịch về nhà ở ## ngoài trụ sở
Chứng thực di chúc ## ngoài trụ sở
Chứng thực văn bản từ chối nhận di sản
Chứng thực văn bản thỏa thuận phân chia di sản => mà di sản là động sản; mà di sản là quyền sử dụng đất, nhà ở
Chứng thực văn bản khai nhận di sản => mà di sản là động sản; mà di sản là quyền sử dụng đất, nhà ở
Chứng thực việc sửa đổi, bổ sung, hủy bỏ hợp đồng, giao dịch
Sửa lỗi sai sót trong hợp đồng, giao dịch đã được chứng thực
Cấp bản sao có chứng thực từ bản chính hợp đồng, giao dịch đã được chứng thực
Chứng thực hợp đồng ủy quyền ## ngoài trụ sở
"""),
        ("Đất đai", """
Đăng ký đất đai, tài sản gắn liền với đất lần đầu => đối với hộ gia đình, cá nhân; đối với cộng đồng dân cư
Đăng ký biến động đất đai, tài sản gắn liền với đất => do chuyển đổi quyền sử dụng đất nông nghiệp; do chuyển nhượng quyền sử dụng đất; do thừa kế quyền sử dụng đất; do tặng cho quyền sử dụng đất; do thay đổi thông tin người sử dụng đất; do thay đổi diện tích do sạt lở tự nhiên; do góp vốn bằng quyền sử dụng đất
Tách thửa hoặc hợp thửa đất
Giao đất, cho thuê đất không thông qua đấu giá quyền sử dụng đất => đối với hộ gia đình, cá nhân; đối với cộng đồng dân cư
Chuyển mục đích sử dụng đất => đối với hộ gia đình, cá nhân phải được cơ quan nhà nước có thẩm quyền cho phép; trong trường hợp không phải xin phép
Gia hạn sử dụng đất nông nghiệp của hộ gia đình, cá nhân
Điều chỉnh quyết định thu hồi đất, giao đất, cho thuê đất của Ủy ban nhân dân cấp xã
Hòa giải tranh chấp đất đai
Giải quyết tranh chấp đất đai thuộc thẩm quyền của Chủ tịch Ủy ban nhân dân cấp xã
Cung cấp thông tin, dữ liệu đất đai
Đính chính Giấy chứng nhận đã cấp
Thu hồi Giấy chứng nhận đã cấp không đúng quy định
Cấp đổi Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất ## do đo đạc lại bản đồ địa chính
Cấp lại Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất do bị mất
Xóa đăng ký cho thuê, cho thuê lại, góp vốn bằng quyền sử dụng đất
Đăng ký xác lập quyền sử dụng hạn chế thửa đất liền kề
Xác nhận tiếp tục sử dụng đất nông nghiệp khi hết hạn sử dụng đất
Đăng ký biến động quyền sử dụng đất => do thay đổi mục đích sử dụng đất không phải xin phép; do xóa ghi nợ tiền sử dụng đất; do đính chính thông tin thửa đất; do chia tách quyền sử dụng đất theo thỏa thuận của các thành viên hộ gia đình; do thực hiện bản án, quyết định của Tòa án; do kết quả hòa giải thành về tranh chấp đất đai
Đăng ký|Xóa đăng ký|Đăng ký thay đổi nội dung :: thế chấp quyền sử dụng đất, tài sản gắn liền với đất của hộ gia đình, cá nhân
Thu hồi đất => do người sử dụng đất tự nguyện trả lại đất; do người sử dụng đất chết mà không có người thừa kế; vì mục đích quốc phòng, an ninh; để phát triển kinh tế - xã hội vì lợi ích quốc gia, công cộng; có nguy cơ đe dọa tính mạng con người
Bồi thường, hỗ trợ, tái định cư khi Nhà nước thu hồi đất => phê duyệt phương án; điều chỉnh phương án; giao đất tái định cư
"""),
        ("Hoạt động xây dựng", """
Cấp|Cấp lại|Điều chỉnh|Gia hạn :: giấy phép xây dựng => đối với nhà ở riêng lẻ; đối với công trình không theo tuyến; đối với công trình theo tuyến trong đô thị; đối với công trình tín ngưỡng, tôn giáo; đối với công trình quảng cáo; sửa chữa, cải tạo công trình; di dời công trình; đối với công trình hạ tầng kỹ thuật cấp IV; đối với công trình trong khu vực bảo vệ di tích
Cấp giấy phép xây dựng có thời hạn đối với nhà ở riêng lẻ
Thẩm định báo cáo kinh tế - kỹ thuật đầu tư xây dựng => công trình sử dụng vốn đầu tư công cấp xã; điều chỉnh
Thẩm định thiết kế xây dựng triển khai sau thiết kế cơ sở ## điều chỉnh
Cấp giấy phép chặt hạ, dịch chuyển cây xanh đô thị
Cấp giấy phép sử dụng tạm thời một phần lòng đường, hè phố không vào mục đích giao thông
"""),
        ("Nhà ở", """
Xác nhận đối tượng được hưởng chính sách hỗ trợ về nhà ở xã hội => đối với hộ gia đình, cá nhân có thu nhập thấp tại khu vực đô thị; đối với người lao động đang làm việc tại doanh nghiệp; đối với hộ nghèo, cận nghèo tại khu vực nông thôn
Hỗ trợ xây dựng, sửa chữa nhà ở cho người có công với cách mạng
Hỗ trợ xóa nhà tạm, nhà dột nát cho hộ nghèo, hộ cận nghèo
Thông báo khởi công xây dựng nhà ở riêng lẻ được miễn giấy phép xây dựng
"""),
        ("Thành lập và hoạt động của hộ kinh doanh", """
Đăng ký thành lập hộ kinh doanh
Đăng ký thay đổi nội dung đăng ký hộ kinh doanh
Tạm ngừng hoạt động hộ kinh doanh
Tiếp tục kinh doanh trước thời hạn đã thông báo của hộ kinh doanh
Chấm dứt hoạt động hộ kinh doanh
Cấp lại Giấy chứng nhận đăng ký hộ kinh doanh
Chuyển đổi hộ kinh doanh thành doanh nghiệp
"""),
        ("Kinh tế hợp tác", """
Đăng ký thành lập|Đăng ký thay đổi nội dung đăng ký|Giải thể tự nguyện|Tạm ngừng hoạt động|Cấp lại giấy chứng nhận đăng ký :: hợp tác xã ## liên hiệp hợp tác xã
Đăng ký thành lập|Chấm dứt hoạt động :: chi nhánh, văn phòng đại diện, địa điểm kinh doanh của hợp tác xã
Thông báo thành lập|Thông báo thay đổi nội dung hợp đồng hợp tác của|Thông báo chấm dứt hoạt động của :: tổ hợp tác
"""),
        ("Bảo trợ xã hội", """
Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hằng tháng, hỗ trợ kinh phí chăm sóc, nuôi dưỡng hằng tháng
Chi trả trợ cấp xã hội hằng tháng, hỗ trợ kinh phí chăm sóc, nuôi dưỡng hằng tháng khi đối tượng thay đổi nơi cư trú
Xác định, xác định lại mức độ khuyết tật và cấp Giấy xác nhận khuyết tật
Đổi, cấp lại Giấy xác nhận khuyết tật
Trợ giúp xã hội khẩn cấp => về hỗ trợ chi phí mai táng; về hỗ trợ làm nhà ở, sửa chữa nhà ở; về hỗ trợ lương thực; về hỗ trợ chi phí điều trị người bị thương nặng
Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội
Tiếp nhận đối tượng cần bảo vệ khẩn cấp vào cơ sở trợ giúp xã hội cấp xã
Đăng ký thành lập|Đăng ký thay đổi nội dung giấy chứng nhận đăng ký thành lập|Giải thể :: cơ sở trợ giúp xã hội ngoài công lập thuộc thẩm quyền cấp xã
Công nhận hộ nghèo, hộ cận nghèo phát sinh trong năm
Công nhận hộ thoát nghèo, hộ thoát cận nghèo trong năm
Công nhận hộ làm nông nghiệp, lâm nghiệp, ngư nghiệp, diêm nghiệp có mức sống trung bình
Đăng ký hoạt động đối với cơ sở trợ giúp xã hội dưới 10 đối tượng có hoàn cảnh khó khăn
Nhận chăm sóc, nuôi dưỡng đối tượng cần bảo vệ khẩn cấp
Thực hiện trợ cấp xã hội hằng tháng => đối với trẻ em dưới 16 tuổi không có nguồn nuôi dưỡng; đối với người cao tuổi; đối với người khuyết tật nặng, đặc biệt nặng; đối với người đơn thân nghèo đang nuôi con; đối với người nhiễm HIV/AIDS thuộc hộ nghèo
Hỗ trợ kinh phí nhận chăm sóc, nuôi dưỡng đối tượng bảo trợ xã hội tại cộng đồng
Đề nghị cấp thẻ bảo hiểm y tế cho đối tượng bảo trợ xã hội
"""),
        ("Trẻ em", """
Áp dụng các biện pháp can thiệp khẩn cấp hoặc tạm thời cách ly trẻ em khỏi môi trường hoặc người gây tổn hại cho trẻ em
Chấm dứt việc chăm sóc thay thế cho trẻ em
Đăng ký nhận chăm sóc thay thế cho trẻ em => đối với cá nhân, người đại diện gia đình nhận chăm sóc thay thế không phải là người thân thích của trẻ em; đối với người thân thích
Chuyển trẻ em đang được chăm sóc thay thế tại cơ sở trợ giúp xã hội đến cá nhân, gia đình nhận chăm sóc thay thế
Phê duyệt kế hoạch hỗ trợ, can thiệp đối với trẻ em bị xâm hại hoặc có nguy cơ bị bạo lực, bóc lột, bỏ rơi
"""),
        ("Người có công", """
Giải quyết chế độ trợ cấp thờ cúng liệt sĩ
Giải quyết chế độ ưu đãi đối với thân nhân liệt sĩ
Giải quyết trợ cấp mai táng phí đối với người có công với cách mạng
Cấp giấy xác nhận thân nhân của người có công
Hỗ trợ người có công đi làm phương tiện, dụng cụ trợ giúp chỉnh hình, phục hồi chức năng
Giải quyết chế độ điều dưỡng phục hồi sức khỏe tại gia đình cho người có công
Tiếp nhận hồ sơ đề nghị thăm viếng mộ liệt sĩ
Tiếp nhận hồ sơ đề nghị di chuyển hài cốt liệt sĩ
Xác nhận hồ sơ đề nghị công nhận liệt sĩ
Xác nhận hồ sơ đề nghị công nhận thương binh, người hưởng chính sách như thương binh
Giải quyết chế độ ưu đãi trong giáo dục đào tạo đối với người có công và con của họ
Tiếp nhận hồ sơ, xác nhận đề nghị giải quyết chế độ ưu đãi => đối với thương binh, người hưởng chính sách như thương binh; đối với bệnh binh; đối với người hoạt động kháng chiến bị địch bắt tù, đày; đối với người có công giúp đỡ cách mạng; đối với con đẻ của người hoạt động kháng chiến bị nhiễm chất độc hóa học
"""),
        ("Giáo dục và Đào tạo", """
Thành lập|Cho phép thành lập|Cho phép hoạt động giáo dục|Cho phép hoạt động giáo dục trở lại|Sáp nhập, chia, tách|Giải thể :: trường mầm non ## trường mẫu giáo; nhà trẻ
Thành lập|Cho phép thành lập|Cho phép hoạt động giáo dục|Cho phép hoạt động giáo dục trở lại|Sáp nhập, chia, tách|Giải thể :: trường tiểu học
Thành lập|Cho phép thành lập|Cho phép hoạt động giáo dục|Cho phép hoạt động giáo dục trở lại|Sáp nhập, chia, tách|Giải thể :: trường trung học cơ sở ## trường phổ thông có nhiều cấp học có cấp học cao nhất là trung học cơ sở
Cho phép thành lập|Cho phép hoạt động|Giải thể :: nhóm trẻ, lớp mẫu giáo độc lập
Thành lập|Cho phép hoạt động|Giải thể :: trung tâm học tập cộng đồng
Chuyển trường đối với học sinh trung học cơ sở ## từ nước ngoài về
Xét, duyệt chính sách hỗ trợ đối với học sinh bán trú đang học tại các trường tiểu học, trung học cơ sở
Hỗ trợ ăn trưa đối với trẻ em mẫu giáo
Xét duyệt miễn, giảm học phí, hỗ trợ chi phí học tập
Công nhận xã đạt chuẩn phổ cập giáo dục, xóa mù chữ
Công nhận trường mầm non đạt chuẩn quốc gia => mức độ 1; mức độ 2
Đăng ký hoạt động dạy thêm, học thêm ngoài nhà trường
Xét cấp hỗ trợ tiền ăn, nhà ở cho học sinh ở thôn đặc biệt khó khăn
Hỗ trợ đồ dùng học tập cho trẻ em khuyết tật
"""),
        ("Văn hóa cơ sở", """
Xét tặng danh hiệu Gia đình văn hóa hằng năm
Xét tặng Giấy khen Gia đình văn hóa
Xét tặng danh hiệu Thôn, Tổ dân phố văn hóa
Xét tặng Giấy khen Thôn, Tổ dân phố văn hóa
Thông báo tổ chức lễ hội cấp xã
Đăng ký tổ chức lễ hội cấp xã
Công nhận câu lạc bộ thể thao cơ sở
Thông báo tổ chức biểu diễn nghệ thuật tại địa phương
Cấp|Cấp lại|Điều chỉnh :: Giấy phép đủ điều kiện kinh doanh dịch vụ karaoke
Cấp|Cấp lại|Điều chỉnh :: Giấy phép đủ điều kiện kinh doanh dịch vụ vũ trường
Thông báo thành lập thư viện đối với thư viện cộng đồng và thư viện tư nhân có phục vụ cộng đồng ## thông báo sáp nhập, hợp nhất, chia, tách thư viện; thông báo chấm dứt hoạt động thư viện
"""),
        ("Tín ngưỡng, tôn giáo", """
Đăng ký hoạt động tín ngưỡng
Đăng ký bổ sung hoạt động tín ngưỡng
Đăng ký sinh hoạt tôn giáo tập trung
Thông báo danh mục hoạt động tôn giáo đối với tổ chức có địa bàn hoạt động tôn giáo ở một xã
Thông báo danh mục hoạt động tôn giáo bổ sung đối với tổ chức có địa bàn hoạt động tôn giáo ở một xã
Đăng ký thay đổi người đại diện của nhóm sinh hoạt tôn giáo tập trung
Đề nghị thay đổi địa điểm sinh hoạt tôn giáo tập trung trong địa bàn một xã
Thông báo về việc thay đổi địa điểm sinh hoạt tôn giáo tập trung đến địa bàn xã khác
Thông báo tổ chức quyên góp trong địa bàn một xã của cơ sở tín ngưỡng, tổ chức tôn giáo, tổ chức tôn giáo trực thuộc
Đề nghị tổ chức cuộc lễ ngoài cơ sở tôn giáo, địa điểm hợp pháp đã đăng ký có quy mô tổ chức ở một xã
"""),
        ("Nông nghiệp", """
Hỗ trợ khôi phục sản xuất vùng bị thiệt hại do thiên tai, dịch bệnh => đối với cây trồng; đối với vật nuôi; đối với nuôi trồng thủy sản; đối với sản xuất lâm nghiệp
Phê duyệt kế hoạch khuyến nông địa phương
Hỗ trợ đầu tư xây dựng phát triển thủy lợi nhỏ, thủy lợi nội đồng và tưới tiên tiến, tiết kiệm nước
Cấp|Cấp lại :: Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm nông lâm thủy sản thuộc thẩm quyền cấp xã
Xác nhận nguồn gốc loài thủy sản thuộc Phụ lục Công ước quốc tế về buôn bán các loài động vật, thực vật hoang dã nguy cấp
Xác nhận bảng kê lâm sản
Phê duyệt phương án quản lý rừng bền vững của cộng đồng dân cư
Đăng ký mã số vùng trồng cây nông nghiệp
Hỗ trợ dự án liên kết sản xuất gắn với tiêu thụ sản phẩm nông nghiệp
Công nhận và giao quyền quản lý cho tổ chức cộng đồng
Kê khai hoạt động chăn nuôi
Hỗ trợ giống cây trồng, vật nuôi, thủy sản để khôi phục sản xuất sau thiên tai
Hỗ trợ bảo vệ và phát triển đất trồng lúa
Giao rừng|Cho thuê rừng|Thu hồi rừng :: đối với hộ gia đình, cá nhân, cộng đồng dân cư
"""),
        ("Môi trường", """
Đăng ký môi trường ## đăng ký điều chỉnh
Cấp|Cấp đổi|Điều chỉnh|Cấp lại :: giấy phép môi trường thuộc thẩm quyền cấp xã
Tham vấn báo cáo đánh giá tác động môi trường
Xác nhận hoàn thành phương án cải tạo, phục hồi môi trường
"""),
        ("Tài nguyên nước", """
Đăng ký khai thác nước dưới đất ## đăng ký lại
Lấy ý kiến Ủy ban nhân dân cấp xã đối với các dự án đầu tư có chuyển nước từ nguồn nước nội tỉnh
Đăng ký khai thác, sử dụng nước mặt
Kê khai khai thác, sử dụng nước cho sinh hoạt hộ gia đình
"""),
        ("Thi đua, khen thưởng", """
Tặng Giấy khen của Chủ tịch Ủy ban nhân dân cấp xã => về thành tích thực hiện nhiệm vụ chính trị; về thành tích thi đua theo đợt, chuyên đề; về thành tích đột xuất; cho gia đình; về thành tích đối ngoại; cho tập thể, cá nhân ngoài xã có đóng góp cho địa phương; về thành tích xây dựng nông thôn mới
Xét tặng danh hiệu Lao động tiên tiến
Xét tặng danh hiệu Chiến sĩ thi đua cơ sở
Xét tặng danh hiệu Tập thể lao động tiên tiến
Xét tặng danh hiệu Thôn, Tổ dân phố tiêu biểu
"""),
        ("Hòa giải ở cơ sở", """
Công nhận hòa giải viên
Công nhận tổ trưởng tổ hòa giải
Thôi làm hòa giải viên
Thanh toán thù lao cho hòa giải viên
Hỗ trợ cho hòa giải viên gặp tai nạn hoặc rủi ro ảnh hưởng đến sức khỏe, tính mạng trong khi thực hiện hoạt động hòa giải
"""),
        ("Phổ biến, giáo dục pháp luật", """
Công nhận báo cáo viên pháp luật cấp xã
Miễn nhiệm báo cáo viên pháp luật cấp xã
Công nhận tuyên truyền viên pháp luật
Cho thôi làm tuyên truyền viên pháp luật
Công nhận xã đạt chuẩn tiếp cận pháp luật
"""),
        ("Nội vụ", """
Thành lập thôn mới, tổ dân phố mới
Ghép, sáp nhập thôn, tổ dân phố
Công nhận ban vận động thành lập hội có phạm vi hoạt động trong xã
Thành lập|Phê duyệt điều lệ|Chia, tách, sáp nhập, hợp nhất|Đổi tên|Giải thể :: hội có phạm vi hoạt động trong xã
Thông báo đại hội nhiệm kỳ, đại hội bất thường của hội có phạm vi hoạt động trong xã
Thành lập|Công nhận điều lệ|Giải thể :: quỹ xã hội, quỹ từ thiện có phạm vi hoạt động trong xã
Xét tuyển|Tiếp nhận vào làm :: công chức cấp xã
Thi tuyển|Xét tuyển :: viên chức đơn vị sự nghiệp công lập thuộc cấp xã
"""),
        ("Tiếp công dân, khiếu nại, tố cáo", """
Giải quyết khiếu nại lần đầu tại cấp xã
Giải quyết tố cáo tại cấp xã
Tiếp công dân tại cấp xã
Xử lý đơn tại cấp xã
Giải quyết yêu cầu bồi thường tại cơ quan trực tiếp quản lý người thi hành công vụ gây thiệt hại
"""),
        ("Giao thông vận tải", """
Cấp|Cấp lại|Gia hạn :: giấy phép thi công công trình trên đường bộ đang khai thác thuộc phạm vi quản lý của cấp xã
Chấp thuận xây dựng công trình thiết yếu trong phạm vi bảo vệ kết cấu hạ tầng giao thông đường bộ của đường xã
Đăng ký|Đăng ký lại|Xóa đăng ký|Cấp lại giấy chứng nhận đăng ký :: phương tiện thủy nội địa thuộc thẩm quyền cấp xã
Công bố hoạt động bến thủy nội địa ## công bố lại
Đóng, không cho phép hoạt động của bến khách ngang sông
Công bố đóng|Công bố chuyển đổi :: bến thủy nội địa
"""),
        ("Lưu thông hàng hóa trong nước", """
Cấp|Cấp lại|Cấp sửa đổi, bổ sung :: Giấy phép bán lẻ sản phẩm thuốc lá
Cấp|Cấp lại|Cấp sửa đổi, bổ sung :: Giấy chứng nhận đủ điều kiện cửa hàng bán lẻ LPG chai
Cấp|Cấp lại|Cấp sửa đổi, bổ sung :: Giấy phép sản xuất rượu thủ công nhằm mục đích kinh doanh
Đăng ký bán lẻ rượu
Đăng ký sản xuất rượu thủ công để bán cho doanh nghiệp có giấy phép sản xuất rượu để chế biến lại
Thành lập|Giải thể|Chuyển đổi mô hình quản lý :: chợ hạng 3
"""),
        ("Phòng, chống tệ nạn xã hội", """
Đăng ký cai nghiện ma túy tự nguyện
Quyết định quản lý cai nghiện ma túy tự nguyện tại gia đình
Quyết định cai nghiện ma túy tự nguyện tại cộng đồng
Quyết định lập hồ sơ đề nghị áp dụng biện pháp xử lý hành chính đưa vào cơ sở cai nghiện bắt buộc
Xác định tình trạng nghiện ma túy
Hỗ trợ học văn hóa, học nghề, trợ cấp khó khăn ban đầu cho nạn nhân bị mua bán
"""),
        ("An toàn thực phẩm", """
Cấp|Cấp lại :: Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm => đối với cơ sở kinh doanh dịch vụ ăn uống quy mô nhỏ; đối với cơ sở sản xuất thực phẩm nhỏ lẻ; đối với cơ sở kinh doanh thực phẩm tại chợ; đối với bếp ăn tập thể trường học
Xác nhận kiến thức an toàn thực phẩm cho người trực tiếp sản xuất, kinh doanh thực phẩm nhỏ lẻ
"""),
        ("Việc làm", """
Hỗ trợ người lao động => bị chấm dứt hợp đồng lao động do thiên tai, dịch bệnh; tạm hoãn thực hiện hợp đồng lao động; không có giao kết hợp đồng lao động bị mất việc làm
Xác nhận đối tượng vay vốn Quỹ quốc gia về việc làm
Hỗ trợ kinh phí học nghề cho lao động nông thôn
"""),
        ("Gia đình", """
Đăng ký|Thay đổi nội dung đăng ký|Chấm dứt :: hoạt động của cơ sở trợ giúp phòng, chống bạo lực gia đình
Áp dụng biện pháp cấm tiếp xúc theo Luật Phòng, chống bạo lực gia đình
Hủy bỏ biện pháp cấm tiếp xúc theo Luật Phòng, chống bạo lực gia đình
"""),
        ("Quản lý công sản", """
Quyết định giao|Quyết định thu hồi|Quyết định thanh lý :: tài sản công của cơ quan, đơn vị thuộc cấp xã
"""),
        ("Công tác dân tộc", """
Đề nghị công nhận người có uy tín trong đồng bào dân tộc thiểu số tại xã
Hỗ trợ nhà ở, đất sản xuất cho hộ đồng bào dân tộc thiểu số nghèo tại xã
Xác nhận hộ đồng bào dân tộc thiểu số thiếu đất sản xuất
"""),
        ("Phát thanh, truyền hình và thông tin điện tử", """
Cấp|Gia hạn|Sửa đổi, bổ sung|Cấp lại :: Giấy chứng nhận đủ điều kiện hoạt động điểm cung cấp dịch vụ trò chơi điện tử công cộng
"""),
        ("Phòng, chống thiên tai", """
Hỗ trợ thiệt hại về nhà ở do thiên tai => nhà bị sập, đổ; nhà bị hư hỏng nặng; phải di dời khẩn cấp
Cấp giấy phép hoạt động trong phạm vi bảo vệ đê điều đối với đê cấp IV, cấp V
"""),
        ("Nghĩa vụ quân sự", """
Đăng ký nghĩa vụ quân sự lần đầu
Đăng ký nghĩa vụ quân sự bổ sung
Đăng ký nghĩa vụ quân sự chuyển đến
Đăng ký nghĩa vụ quân sự chuyển đi
Đăng ký nghĩa vụ quân sự tạm vắng
Đăng ký miễn gọi nhập ngũ thời chiến
Đăng ký phục vụ trong ngạch dự bị
Đăng ký vào ngạch dự bị
Đăng ký nghĩa vụ quân sự cho công dân nữ có ngành, nghề chuyên môn phù hợp
Xác nhận hồ sơ hưởng trợ cấp một lần đối với quân nhân, người làm công tác cơ yếu đã phục viên, xuất ngũ, thôi việc
Giải quyết chế độ, chính sách đối với dân quân bị ốm, bị tai nạn, hy sinh khi làm nhiệm vụ
"""),
        ("Dân số, y tế cơ sở", """
Xét hưởng chính sách hỗ trợ cho đối tượng sinh con đúng chính sách dân số
Cấp Giấy chứng sinh cho trường hợp trẻ được sinh ra ngoài cơ sở khám bệnh, chữa bệnh
Đề nghị cấp thẻ bảo hiểm y tế cho người thuộc hộ nghèo, cận nghèo, người dân tộc thiểu số
Hỗ trợ chi phí khám bệnh, chữa bệnh cho người thuộc hộ nghèo mắc bệnh hiểm nghèo
Công nhận xã đạt Bộ tiêu chí quốc gia về y tế xã
"""),
    ],
    "SO_NNMT": [
        ("Đất đai", """
Giao đất, cho thuê đất không thông qua đấu giá quyền sử dụng đất, không đấu thầu lựa chọn nhà đầu tư => đối với tổ chức trong nước; đối với tổ chức kinh tế có vốn đầu tư nước ngoài; đối với người gốc Việt Nam định cư ở nước ngoài
Chuyển mục đích sử dụng đất => đối với tổ chức; đối với tổ chức kinh tế có vốn đầu tư nước ngoài
Gia hạn sử dụng đất => đối với tổ chức; khi hết thời hạn sử dụng đất đối với dự án đầu tư
Điều chỉnh quyết định thu hồi đất, giao đất, cho thuê đất, chuyển mục đích sử dụng đất của Ủy ban nhân dân cấp tỉnh
Đăng ký đất đai, tài sản gắn liền với đất, cấp Giấy chứng nhận lần đầu => đối với tổ chức; đối với cơ sở tôn giáo; đối với tổ chức kinh tế có vốn đầu tư nước ngoài
Đăng ký biến động đất đai, tài sản gắn liền với đất => của tổ chức; do chuyển nhượng dự án bất động sản; do chia, tách, hợp nhất, sáp nhập tổ chức
Cấp đổi|Cấp lại|Đính chính :: Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất cho tổ chức
Thẩm định nhu cầu sử dụng đất để xem xét giao đất, cho thuê đất không thông qua hình thức đấu giá
Giải quyết tranh chấp đất đai thuộc thẩm quyền của Chủ tịch Ủy ban nhân dân cấp tỉnh ## lần đầu; lần hai
Cung cấp thông tin, dữ liệu đất đai cấp tỉnh
Đăng ký thế chấp quyền sử dụng đất, tài sản gắn liền với đất ## xóa đăng ký; đăng ký thay đổi
Thẩm định phương án sử dụng đất của công ty nông, lâm nghiệp
"""),
        ("Môi trường", """
Thẩm định báo cáo đánh giá tác động môi trường ## điều chỉnh
Cấp|Cấp đổi|Điều chỉnh|Cấp lại :: giấy phép môi trường thuộc thẩm quyền cấp tỉnh
Thẩm định phương án cải tạo, phục hồi môi trường trong hoạt động khai thác khoáng sản ## điều chỉnh
Cấp|Cấp lại|Điều chỉnh :: Giấy chứng nhận đủ điều kiện hoạt động dịch vụ quan trắc môi trường
Chấp thuận tách đấu nối khỏi hệ thống xử lý nước thải tập trung của khu sản xuất, kinh doanh, dịch vụ tập trung
Xác nhận hoàn thành công trình bảo vệ môi trường
Đăng ký|Điều chỉnh :: kế hoạch vận hành thử nghiệm công trình xử lý chất thải
Cấp|Cấp lại|Điều chỉnh :: giấy phép xử lý chất thải nguy hại
Công nhận|Đánh giá lại :: cơ sở đạt tiêu chuẩn thân thiện môi trường
"""),
        ("Tài nguyên nước", """
Cấp|Gia hạn|Điều chỉnh|Cấp lại :: giấy phép thăm dò nước dưới đất => đối với công trình có quy mô dưới 3.000 m3/ngày đêm; đối với công trình có quy mô từ 3.000 m3/ngày đêm trở lên
Cấp|Gia hạn|Điều chỉnh|Cấp lại :: giấy phép khai thác nước dưới đất => đối với công trình có quy mô dưới 3.000 m3/ngày đêm; đối với công trình có quy mô từ 3.000 m3/ngày đêm trở lên
Cấp|Gia hạn|Điều chỉnh|Cấp lại :: giấy phép khai thác, sử dụng nước mặt => cho sản xuất nông nghiệp, nuôi trồng thủy sản; cho phát điện; cho các mục đích khác
Cấp|Gia hạn|Điều chỉnh|Cấp lại :: giấy phép hành nghề khoan nước dưới đất
Trả lại giấy phép tài nguyên nước
Lấy ý kiến về phương án chuyển nước từ nguồn nước nội tỉnh
Tính tiền cấp quyền khai thác tài nguyên nước ## điều chỉnh
Đăng ký khai thác, sử dụng nước biển
Phê duyệt, điều chỉnh phương án cắm mốc giới hành lang bảo vệ nguồn nước
"""),
        ("Địa chất và khoáng sản", """
Cấp|Gia hạn|Điều chỉnh|Trả lại :: giấy phép thăm dò khoáng sản ## nhóm III, nhóm IV
Cấp|Gia hạn|Điều chỉnh|Trả lại :: giấy phép khai thác khoáng sản ## nhóm III, nhóm IV; khoáng sản làm vật liệu xây dựng thông thường
Cấp|Gia hạn|Trả lại :: giấy phép khai thác tận thu khoáng sản
Phê duyệt trữ lượng khoáng sản
Đóng cửa mỏ khoáng sản
Chuyển nhượng quyền thăm dò khoáng sản
Chuyển nhượng quyền khai thác khoáng sản
Đấu giá quyền khai thác khoáng sản ở khu vực chưa thăm dò khoáng sản
Đăng ký thu hồi khoáng sản trong diện tích đất của dự án đầu tư xây dựng công trình
"""),
        ("Đo đạc, bản đồ và thông tin địa lý", """
Cấp|Cấp bổ sung|Cấp lại :: Giấy phép hoạt động đo đạc và bản đồ hạng II
Cung cấp thông tin, dữ liệu, sản phẩm đo đạc và bản đồ
Cấp|Cấp lại|Gia hạn :: chứng chỉ hành nghề đo đạc và bản đồ hạng II
"""),
        ("Khí tượng thủy văn", """
Cấp|Sửa đổi, bổ sung|Gia hạn :: giấy phép hoạt động dự báo, cảnh báo khí tượng thủy văn
Cung cấp thông tin, dữ liệu khí tượng thủy văn
"""),
        ("Trồng trọt", """
Cấp|Cấp lại :: Giấy chứng nhận đủ điều kiện buôn bán phân bón
Cấp|Cấp lại|Điều chỉnh :: Giấy chứng nhận đủ điều kiện sản xuất phân bón
Cấp|Cấp lại :: Quyết định công nhận cây đầu dòng, vườn cây đầu dòng
Công nhận lưu hành đặc cách giống cây trồng
Cấp|Cấp lại|Gia hạn :: Giấy xác nhận nội dung quảng cáo phân bón
Chuyển đổi cơ cấu cây trồng trên đất trồng lúa
"""),
        ("Bảo vệ thực vật", """
Cấp|Cấp lại|Gia hạn :: Giấy chứng nhận đủ điều kiện buôn bán thuốc bảo vệ thực vật
Cấp|Cấp lại :: Giấy xác nhận nội dung quảng cáo thuốc bảo vệ thực vật
Cấp|Cấp lại :: Giấy chứng nhận kiểm dịch thực vật nội địa
Cấp giấy phép vận chuyển thuốc bảo vệ thực vật
"""),
        ("Chăn nuôi", """
Cấp|Cấp lại :: Giấy chứng nhận đủ điều kiện chăn nuôi trang trại quy mô lớn
Cấp|Cấp lại :: Giấy chứng nhận đủ điều kiện sản xuất thức ăn chăn nuôi => thương mại; theo đặt hàng
Đăng ký|Điều chỉnh :: hoạt động chăn nuôi trang trại quy mô vừa, quy mô nhỏ
Cấp giấy phép đưa vào sử dụng tinh, phôi, trứng giống vật nuôi
"""),
        ("Thú y", """
Cấp|Cấp lại|Gia hạn :: Chứng chỉ hành nghề thú y => tiêm phòng, chữa bệnh, phẫu thuật động vật; tư vấn, các dịch vụ khác; buôn bán thuốc thú y
Cấp|Cấp lại :: Giấy chứng nhận cơ sở an toàn dịch bệnh động vật => trên cạn; thủy sản
Cấp|Cấp lại :: Giấy chứng nhận đủ điều kiện buôn bán thuốc thú y
Cấp|Cấp lại :: Giấy chứng nhận điều kiện vệ sinh thú y => đối với cơ sở giết mổ động vật; đối với cơ sở sơ chế, chế biến sản phẩm động vật
Kiểm dịch động vật, sản phẩm động vật vận chuyển ra khỏi địa bàn cấp tỉnh => trên cạn; thủy sản
Cấp Giấy xác nhận nội dung quảng cáo thuốc thú y
"""),
        ("Thủy sản", """
Cấp|Cấp lại :: Giấy chứng nhận cơ sở đủ điều kiện sản xuất, ương dưỡng giống thủy sản
Cấp|Cấp lại :: Giấy chứng nhận cơ sở đủ điều kiện sản xuất thức ăn thủy sản, sản phẩm xử lý môi trường nuôi trồng thủy sản
Đăng ký|Cấp lại Giấy xác nhận đăng ký :: nuôi trồng thủy sản lồng bè, đối tượng thủy sản nuôi chủ lực
Cấp văn bản chấp thuận nuôi trồng thủy sản trên sông, hồ chứa
Công bố mở cảng cá loại III
"""),
        ("Lâm nghiệp", """
Phê duyệt|Điều chỉnh :: phương án quản lý rừng bền vững của chủ rừng là tổ chức
Chuyển loại rừng đối với khu rừng do Ủy ban nhân dân cấp tỉnh quyết định thành lập
Phê duyệt phương án trồng rừng thay thế
Nộp tiền trồng rừng thay thế
Thẩm định hồ sơ đề nghị chuyển mục đích sử dụng rừng sang mục đích khác
Cấp|Cấp lại :: giấy phép nuôi, trồng các loài thực vật rừng, động vật rừng nguy cấp, quý, hiếm
Cấp mã số cơ sở nuôi, trồng các loài động vật, thực vật hoang dã nguy cấp
Xác nhận nguồn gốc lâm sản
Thuê môi trường rừng đặc dụng, rừng phòng hộ để kinh doanh dịch vụ du lịch sinh thái
"""),
        ("Thủy lợi", """
Cấp|Gia hạn|Điều chỉnh|Cấp lại :: giấy phép hoạt động trong phạm vi bảo vệ công trình thủy lợi => xây dựng công trình mới; lập bến, bãi tập kết nguyên liệu, nhiên liệu, vật tư, phương tiện; khoan, đào khảo sát địa chất; trồng cây lâu năm; du lịch, thể thao, nghiên cứu khoa học; nuôi trồng thủy sản; nổ mìn và các hoạt động gây nổ khác; xả nước thải vào công trình thủy lợi
Phê duyệt, điều chỉnh quy trình vận hành hồ chứa thủy lợi
Phê duyệt phương án ứng phó thiên tai cho công trình, vùng hạ du đập
Phê duyệt phương án ứng phó với tình huống khẩn cấp đối với hồ chứa thủy lợi
Thẩm định, phê duyệt đề cương, kết quả kiểm định an toàn đập, hồ chứa thủy lợi
"""),
        ("Phòng, chống thiên tai", """
Cấp|Gia hạn :: giấy phép cho các hoạt động trong phạm vi bảo vệ đê điều => xây dựng công trình; khoan, đào trong phạm vi bảo vệ đê điều; sử dụng đê làm đường giao thông; để vật liệu, khai thác đất, đá, cát trên bãi sông
Cho phép sử dụng tài liệu đê điều
Thẩm định, phê duyệt phương án phòng, chống thiên tai đối với công trình hạ tầng
"""),
        ("Quản lý chất lượng nông lâm sản và thủy sản", """
Cấp|Cấp lại :: Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm => đối với cơ sở sản xuất, kinh doanh nông sản; đối với cơ sở sản xuất, kinh doanh thủy sản; đối với cơ sở sản xuất, kinh doanh lâm sản
Xác nhận nội dung quảng cáo thực phẩm nông lâm thủy sản
Cấp Giấy chứng nhận xuất xứ, lưu hành tự do cho sản phẩm nông lâm thủy sản xuất khẩu
Kiểm tra nhà nước về chất lượng muối nhập khẩu
"""),
        ("Phát triển nông thôn", """
Công nhận làng nghề ## làng nghề truyền thống; nghề truyền thống
Đánh giá, phân hạng sản phẩm OCOP => hạng 3 sao; hạng 4 sao; cấp lại
Xét, công nhận xã đạt chuẩn nông thôn mới => nâng cao; kiểu mẫu
Hỗ trợ liên kết sản xuất và tiêu thụ sản phẩm nông nghiệp
Thẩm định, phê duyệt dự án hỗ trợ phát triển sản xuất liên kết theo chuỗi giá trị
Bố trí ổn định dân cư ngoài huyện, trong tỉnh
"""),
    ],
    "SO_XD": [
        ("Hoạt động xây dựng", """
Cấp|Cấp lại|Điều chỉnh|Gia hạn :: giấy phép xây dựng => mới đối với công trình cấp I, cấp II; đối với công trình theo tuyến ngoài đô thị; đối với công trình tôn giáo; đối với dự án; sửa chữa, cải tạo đối với công trình cấp I, cấp II; di dời đối với công trình cấp I, cấp II
Thẩm định Báo cáo nghiên cứu khả thi đầu tư xây dựng ## điều chỉnh
Thẩm định thiết kế xây dựng triển khai sau thiết kế cơ sở => lần đầu; điều chỉnh
Kiểm tra công tác nghiệm thu hoàn thành công trình
Cấp|Cấp lại|Điều chỉnh, bổ sung nội dung|Gia hạn|Nâng hạng :: chứng chỉ hành nghề hoạt động xây dựng hạng II, hạng III
Cấp|Cấp lại|Điều chỉnh, bổ sung nội dung :: chứng chỉ năng lực hoạt động xây dựng hạng II, hạng III
Chuyển đổi chứng chỉ hành nghề hoạt động xây dựng cấp cho cá nhân người nước ngoài
Cấp|Điều chỉnh :: giấy phép hoạt động xây dựng cho nhà thầu nước ngoài
Thẩm định dự án điều chỉnh quy hoạch chung đô thị
"""),
        ("Quy hoạch xây dựng, kiến trúc", """
Thẩm định|Phê duyệt|Điều chỉnh :: nhiệm vụ quy hoạch chi tiết xây dựng => thuộc thẩm quyền cấp tỉnh; khu chức năng
Thẩm định|Phê duyệt|Điều chỉnh :: đồ án quy hoạch chi tiết xây dựng => thuộc thẩm quyền cấp tỉnh; khu chức năng
Cấp giấy phép quy hoạch xây dựng
Cung cấp thông tin về quy hoạch xây dựng
Cấp|Cấp lại|Gia hạn :: chứng chỉ hành nghề kiến trúc
Công nhận chứng chỉ hành nghề kiến trúc của người nước ngoài ở Việt Nam
"""),
        ("Nhà ở", """
Thẩm định giá bán, giá thuê mua, giá thuê nhà ở xã hội
Bán|Cho thuê|Cho thuê mua :: nhà ở xã hội được đầu tư xây dựng bằng vốn đầu tư công
Thuê nhà ở công vụ
Bán nhà ở cũ thuộc tài sản công
Chấp thuận chủ trương đầu tư dự án nhà ở xã hội
Công nhận chủ đầu tư dự án nhà ở
Thông báo nhà ở hình thành trong tương lai đủ điều kiện được bán, cho thuê mua
Gia hạn thời hạn sở hữu nhà ở tại Việt Nam cho tổ chức, cá nhân nước ngoài
"""),
        ("Kinh doanh bất động sản", """
Chuyển nhượng toàn bộ hoặc một phần dự án bất động sản do Ủy ban nhân dân cấp tỉnh quyết định
Cấp|Cấp lại :: chứng chỉ hành nghề môi giới bất động sản
"""),
        ("Vật liệu xây dựng", """
Công bố hợp quy sản phẩm, hàng hóa vật liệu xây dựng
Tiếp nhận bản công bố hợp quy sản phẩm, hàng hóa vật liệu xây dựng nhập khẩu
"""),
        ("Đường bộ", """
Cấp|Cấp lại|Cấp đổi :: Giấy phép kinh doanh vận tải bằng xe ô tô
Cấp|Cấp lại :: phù hiệu => xe ô tô kinh doanh vận tải hành khách theo tuyến cố định; xe taxi; xe hợp đồng; xe vận tải hàng hóa bằng công-ten-nơ; xe ô tô vận tải hàng hóa; xe trung chuyển
Cấp|Cấp lại|Gia hạn :: Giấy phép liên vận => giữa Việt Nam và Lào; giữa Việt Nam và Campuchia; Việt Nam - Trung Quốc; ASEAN
Đăng ký khai thác tuyến vận tải hành khách cố định bằng xe ô tô
Cấp|Gia hạn :: giấy phép lưu hành xe => quá tải trọng; quá khổ giới hạn; bánh xích tự hành trên đường bộ; vận chuyển hàng siêu trường, siêu trọng
Chấp thuận thiết kế kỹ thuật và phương án tổ chức giao thông của nút giao đấu nối vào đường tỉnh
Cấp giấy phép thi công nút giao đấu nối vào đường tỉnh
Cấp|Gia hạn :: giấy phép thi công công trình trên đường bộ đang khai thác thuộc phạm vi quản lý cấp tỉnh
Chấp thuận xây dựng công trình thiết yếu trong phạm vi bảo vệ kết cấu hạ tầng giao thông đường bộ của đường tỉnh ## gia hạn
Công bố đưa bến xe khách vào khai thác ## công bố lại
Công bố đưa trạm dừng nghỉ vào khai thác
Cấp|Cấp lại :: Giấy chứng nhận cơ sở đủ điều kiện đào tạo lái xe ô tô
Cấp giấy phép xe tập lái ## cấp lại
Cấp|Cấp lại :: Giấy chứng nhận giáo viên dạy thực hành lái xe
Chấp thuận chủ trương xây dựng trung tâm sát hạch lái xe loại 3
"""),
        ("Đường thủy nội địa", """
Đăng ký|Đăng ký lại|Xóa đăng ký|Đăng ký thay đổi thông tin :: phương tiện thủy nội địa
Công bố mở|Công bố lại|Thỏa thuận thông số kỹ thuật xây dựng :: cảng thủy nội địa
Cấp giấy phép hoạt động bến thủy nội địa ## cấp lại
Thỏa thuận thiết lập báo hiệu đường thủy nội địa
Cấp|Cấp lại|Chuyển đổi :: giấy chứng nhận khả năng chuyên môn thuyền trưởng, máy trưởng hạng ba
Chấp thuận phương án bảo đảm an toàn giao thông đường thủy nội địa khi thi công công trình
"""),
        ("Đăng kiểm", """
Cấp|Cấp lại :: Giấy chứng nhận thẩm định thiết kế xe cơ giới cải tạo
Cấp Giấy chứng nhận chất lượng an toàn kỹ thuật và bảo vệ môi trường xe cơ giới cải tạo
Cấp|Cấp lại :: Giấy chứng nhận đủ điều kiện hoạt động kiểm định xe cơ giới
"""),
        ("Hạ tầng kỹ thuật", """
Cấp giấy phép chặt hạ, dịch chuyển cây xanh thuộc thẩm quyền cấp tỉnh
Thỏa thuận đấu nối hệ thống thoát nước
Chấp thuận phương án bố trí công trình hạ tầng kỹ thuật ngầm
"""),
    ],
    "SO_YT": [
        ("Khám bệnh, chữa bệnh", """
Cấp|Cấp lại|Gia hạn|Điều chỉnh :: giấy phép hành nghề khám bệnh, chữa bệnh => đối với chức danh bác sỹ; đối với chức danh y sỹ; đối với chức danh điều dưỡng; đối với chức danh hộ sinh; đối với chức danh kỹ thuật y; đối với chức danh dinh dưỡng lâm sàng; đối với chức danh cấp cứu viên ngoại viện; đối với chức danh tâm lý lâm sàng; đối với chức danh lương y; đối với người có bài thuốc gia truyền
Cấp|Cấp lại|Điều chỉnh :: giấy phép hoạt động => đối với bệnh viện; đối với phòng khám đa khoa; đối với phòng khám chuyên khoa; đối với phòng chẩn trị y học cổ truyền; đối với nhà hộ sinh; đối với phòng xét nghiệm; đối với phòng khám chẩn đoán hình ảnh; đối với cơ sở dịch vụ tiêm, chích, thay băng; đối với cơ sở dịch vụ chăm sóc sức khỏe tại nhà; đối với cơ sở dịch vụ cấp cứu, hỗ trợ vận chuyển người bệnh; đối với trạm y tế cấp xã; đối với phòng khám bác sỹ gia đình
Đình chỉ hoạt động|Thu hồi giấy phép hoạt động :: cơ sở khám bệnh, chữa bệnh
Công bố đủ điều kiện thực hiện khám sức khỏe
Công bố cơ sở khám bệnh, chữa bệnh đáp ứng yêu cầu là cơ sở hướng dẫn thực hành
Xếp cấp chuyên môn kỹ thuật đối với cơ sở khám bệnh, chữa bệnh
Phê duyệt danh mục kỹ thuật chuyên môn của cơ sở khám bệnh, chữa bệnh ## bổ sung
Cho phép người hành nghề được tiếp tục hành nghề khám bệnh, chữa bệnh sau khi bị đình chỉ
Cho phép áp dụng kỹ thuật mới, phương pháp mới trong khám bệnh, chữa bệnh
"""),
        ("Dược phẩm", """
Cấp|Cấp lại|Điều chỉnh nội dung :: chứng chỉ hành nghề dược => theo hình thức xét hồ sơ; theo hình thức thi
Cấp|Cấp lại|Điều chỉnh :: Giấy chứng nhận đủ điều kiện kinh doanh dược => cho cơ sở bán lẻ thuốc là nhà thuốc; cho cơ sở bán lẻ thuốc là quầy thuốc; cho tủ thuốc trạm y tế xã; cho cơ sở bán buôn thuốc; cho cơ sở chuyên bán lẻ dược liệu, thuốc dược liệu, thuốc cổ truyền
Đánh giá đáp ứng Thực hành tốt cơ sở bán lẻ thuốc ## định kỳ
Cho phép mua thuốc gây nghiện, thuốc hướng thần, tiền chất dùng làm thuốc
Cấp|Cấp lại :: Giấy xác nhận nội dung thông tin thuốc theo hình thức hội thảo giới thiệu thuốc
Tiếp nhận hồ sơ đăng ký tổ chức giới thiệu thuốc
"""),
        ("Mỹ phẩm", """
Cấp số tiếp nhận Phiếu công bố sản phẩm mỹ phẩm sản xuất trong nước
Cấp Giấy chứng nhận đủ điều kiện sản xuất mỹ phẩm ## cấp lại; điều chỉnh
Cấp giấy chứng nhận lưu hành tự do cho mỹ phẩm sản xuất trong nước để xuất khẩu
"""),
        ("Trang thiết bị y tế", """
Công bố đủ điều kiện sản xuất trang thiết bị y tế
Công bố đủ điều kiện mua bán trang thiết bị y tế loại B, C, D
Công bố tiêu chuẩn áp dụng đối với trang thiết bị y tế thuộc loại A ## điều chỉnh
Công bố đủ điều kiện kinh doanh thiết bị y tế là phương tiện tránh thai
"""),
        ("An toàn thực phẩm và dinh dưỡng", """
Cấp|Cấp lại :: Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm => đối với cơ sở sản xuất thực phẩm bảo vệ sức khỏe; đối với cơ sở kinh doanh dịch vụ ăn uống; đối với bếp ăn tập thể; đối với cơ sở sản xuất nước uống đóng chai; đối với cơ sở sản xuất phụ gia thực phẩm
Đăng ký bản công bố sản phẩm => dinh dưỡng y học; thực phẩm dùng cho chế độ ăn đặc biệt; sản phẩm dinh dưỡng dùng cho trẻ đến 36 tháng tuổi
Xác nhận nội dung quảng cáo thực phẩm ## đối với thực phẩm bảo vệ sức khỏe
Cấp giấy chứng nhận lưu hành tự do đối với thực phẩm xuất khẩu
"""),
        ("Y tế dự phòng", """
Công bố đủ điều kiện thực hiện => xét nghiệm khẳng định các trường hợp HIV dương tính; tiêm chủng; điều trị nghiện chất dạng thuốc phiện bằng thuốc thay thế; quan trắc môi trường lao động; sơ cứu, cấp cứu tại nơi làm việc; khử trùng
Cấp|Cấp lại :: giấy chứng nhận phòng xét nghiệm an toàn sinh học cấp I, cấp II
Cấp|Cấp lại :: Giấy chứng nhận đủ điều kiện cấp chứng chỉ hành nghề y tế tư nhân trong lĩnh vực y tế dự phòng
Công bố cơ sở đủ điều kiện sản xuất chế phẩm diệt côn trùng, diệt khuẩn dùng trong gia dụng và y tế
"""),
        ("Giám định y khoa", """
Khám giám định => lần đầu do tai nạn lao động; lần đầu do bệnh nghề nghiệp; tái phát tai nạn lao động; để thực hiện chế độ hưu trí; để hưởng chế độ tử tuất; để xác định lao động nữ không đủ sức khỏe để chăm sóc con sau khi sinh; đối với trường hợp bổ sung vết thương
Khám giám định phúc quyết
"""),
        ("Bảo trợ xã hội", """
Cấp|Cấp lại|Điều chỉnh :: giấy phép hoạt động đối với cơ sở trợ giúp xã hội ## có phạm vi hoạt động liên tỉnh
Thành lập|Tổ chức lại|Giải thể :: cơ sở trợ giúp xã hội công lập thuộc Sở Y tế
Đăng ký thành lập|Đăng ký thay đổi nội dung hoặc cấp lại giấy chứng nhận đăng ký thành lập|Giải thể :: cơ sở trợ giúp xã hội ngoài công lập
Tiếp nhận đối tượng bảo trợ xã hội có hoàn cảnh đặc biệt khó khăn vào cơ sở trợ giúp xã hội cấp tỉnh
Dừng trợ giúp xã hội tại cơ sở trợ giúp xã hội cấp tỉnh
"""),
        ("Trẻ em", """
Đăng ký|Cấp lại :: chương trình, dự án viện trợ cho trẻ em có hoàn cảnh đặc biệt
Thông qua kế hoạch can thiệp đối với trẻ em bị xâm hại
Xác định trẻ em có hoàn cảnh đặc biệt cần chăm sóc thay thế
"""),
        ("Phòng, chống tệ nạn xã hội", """
Cấp|Cấp lại|Sửa đổi, bổ sung :: giấy phép hoạt động cai nghiện ma túy tự nguyện
Tiếp nhận người cai nghiện ma túy tự nguyện vào cơ sở cai nghiện ma túy công lập
Hoãn|Miễn :: chấp hành quyết định áp dụng biện pháp đưa vào cơ sở cai nghiện bắt buộc
Cấp chứng nhận đã hoàn thành cai nghiện ma túy
"""),
        ("Dân số và sức khỏe sinh sản", """
Công nhận cơ sở khám bệnh, chữa bệnh được thực hiện kỹ thuật thụ tinh trong ống nghiệm
Cho phép thực hiện kỹ thuật mang thai hộ vì mục đích nhân đạo
"""),
    ],
    "CA_TINH": [
        ("Căn cước", """
Cấp thẻ căn cước => cho người từ đủ 14 tuổi trở lên; cho người dưới 14 tuổi; tại nơi làm thủ tục lưu động
Cấp đổi thẻ căn cước ## tại nơi làm thủ tục lưu động
Cấp lại thẻ căn cước ## tại nơi làm thủ tục lưu động
Cấp giấy chứng nhận căn cước cho người gốc Việt Nam chưa xác định được quốc tịch
Xác nhận số chứng minh nhân dân, số căn cước công dân
Tích hợp, cập nhật, điều chỉnh thông tin trên thẻ căn cước
Khai thác thông tin trong Cơ sở dữ liệu quốc gia về dân cư
"""),
        ("Đăng ký, quản lý cư trú", """
Đăng ký thường trú ## tại cơ sở tín ngưỡng, tôn giáo; cho người chưa thành niên
Đăng ký tạm trú ## theo danh sách
Gia hạn tạm trú
Xóa đăng ký thường trú
Xóa đăng ký tạm trú
Tách hộ
Điều chỉnh thông tin về cư trú trong Cơ sở dữ liệu về cư trú
Khai báo tạm vắng
Thông báo lưu trú
Khai báo thông tin về cư trú đối với người chưa đủ điều kiện đăng ký thường trú, tạm trú
Xác nhận thông tin về cư trú
"""),
        ("Đăng ký, quản lý phương tiện giao thông", """
Đăng ký xe lần đầu => đối với xe ô tô; đối với xe mô tô, xe gắn máy; đối với xe máy chuyên dùng
Đăng ký sang tên xe => trong tỉnh đối với xe ô tô; trong tỉnh đối với xe mô tô, xe gắn máy; đối với xe máy chuyên dùng
Đăng ký xe tạm thời
Cấp đổi|Cấp lại :: chứng nhận đăng ký xe, biển số xe
Thu hồi chứng nhận đăng ký xe, biển số xe
Đăng ký xe trúng đấu giá biển số xe
"""),
        ("Giấy phép lái xe", """
Cấp giấy phép lái xe => hạng A1, A; hạng B; hạng C1, C; hạng D1, D2, D; hạng BE, C1E, CE; cho người nước ngoài
Cấp đổi giấy phép lái xe => do ngành Giao thông vận tải cấp; do ngành Công an cấp; quân sự do Bộ Quốc phòng cấp; của nước ngoài; cho người Việt Nam có giấy phép lái xe nước ngoài
Cấp lại giấy phép lái xe ## bị mất
Cấp giấy phép lái xe quốc tế
Sát hạch cấp giấy phép lái xe => hạng A1, A; hạng B; hạng C1, C
Cấp chứng chỉ bồi dưỡng kiến thức pháp luật về giao thông đường bộ
"""),
        ("Xuất nhập cảnh", """
Cấp hộ chiếu phổ thông ## cho người dưới 14 tuổi; tại nơi làm thủ tục lưu động
Cấp lại|Cấp đổi :: hộ chiếu phổ thông
Khôi phục giá trị sử dụng hộ chiếu phổ thông
Trình báo mất hộ chiếu phổ thông
Cấp|Gia hạn :: thị thực cho người nước ngoài tại Việt Nam
Cấp|Cấp lại :: thẻ tạm trú cho người nước ngoài tại Việt Nam
Cấp thẻ thường trú cho người nước ngoài tại Việt Nam ## cấp đổi; cấp lại
Gia hạn tạm trú cho người nước ngoài tại Việt Nam
Cấp giấy phép vào khu vực cấm, khu vực biên giới cho người nước ngoài
Cấp giấy thông hành => biên giới Việt Nam - Lào; biên giới Việt Nam - Campuchia; biên giới Việt Nam - Trung Quốc
Giải quyết cho người nước ngoài thường trú tại Việt Nam được cấp giấy tờ có giá trị xuất nhập cảnh
"""),
        ("Quản lý ngành, nghề đầu tư kinh doanh có điều kiện về an ninh, trật tự", """
Cấp|Cấp đổi|Cấp lại :: Giấy chứng nhận đủ điều kiện về an ninh, trật tự => để kinh doanh dịch vụ cầm đồ; để kinh doanh dịch vụ lưu trú; để kinh doanh dịch vụ karaoke, vũ trường; để kinh doanh dịch vụ xoa bóp; để kinh doanh dịch vụ in; để kinh doanh dịch vụ khắc dấu; để kinh doanh dịch vụ đòi nợ; để kinh doanh dịch vụ bảo vệ; để kinh doanh súng bắn sơn; để kinh doanh pháo hoa; để kinh doanh các thiết bị gây nhiễu, phá sóng thông tin di động
Thông báo thay đổi người đứng tên trong Giấy chứng nhận đủ điều kiện về an ninh, trật tự
"""),
        ("Quản lý con dấu", """
Đăng ký mẫu con dấu mới
Đăng ký lại mẫu con dấu
Đăng ký thêm con dấu
Đăng ký dấu nổi, dấu thu nhỏ, dấu xi
Đổi|Cấp lại :: giấy chứng nhận đăng ký mẫu con dấu
Hủy con dấu và thu hồi giấy chứng nhận đăng ký mẫu con dấu
"""),
        ("Quản lý vũ khí, vật liệu nổ, công cụ hỗ trợ", """
Cấp giấy phép trang bị|Cấp giấy phép sử dụng|Cấp giấy phép vận chuyển|Cấp giấy phép sửa chữa :: vũ khí thô sơ
Cấp giấy phép trang bị|Cấp giấy phép sử dụng|Cấp giấy phép vận chuyển|Cấp giấy phép sửa chữa :: công cụ hỗ trợ
Cấp giấy phép vận chuyển vật liệu nổ công nghiệp, tiền chất thuốc nổ
Cấp|Cấp lại :: giấy xác nhận đăng ký công cụ hỗ trợ
Khai báo vũ khí, vật liệu nổ, công cụ hỗ trợ
Cấp giấy phép sử dụng pháo hoa
"""),
        ("Phòng cháy, chữa cháy và cứu nạn, cứu hộ", """
Thẩm định thiết kế về phòng cháy và chữa cháy => đối với dự án, công trình; đối với phương tiện giao thông cơ giới có yêu cầu đặc biệt
Nghiệm thu về phòng cháy và chữa cháy
Cấp|Cấp đổi|Cấp lại :: Giấy xác nhận đủ điều kiện kinh doanh dịch vụ phòng cháy, chữa cháy
Cấp|Cấp lại :: Giấy chứng nhận huấn luyện nghiệp vụ phòng cháy, chữa cháy và cứu nạn, cứu hộ
Kiểm định phương tiện phòng cháy và chữa cháy
Phục hồi hoạt động của cơ sở, phương tiện giao thông, hộ gia đình, cá nhân bị tạm đình chỉ hoạt động
Phê duyệt phương án chữa cháy của cơ sở
"""),
        ("Lý lịch tư pháp", """
Tiếp nhận yêu cầu cấp Phiếu lý lịch tư pháp qua ứng dụng định danh điện tử
"""),
    ],
    "SO_CT": [
        ("Kinh doanh khí", """
Cấp|Cấp lại|Điều chỉnh :: Giấy chứng nhận đủ điều kiện => trạm nạp LPG vào chai; trạm nạp LPG vào xe bồn; trạm nạp LNG vào phương tiện vận tải; trạm nạp CNG vào phương tiện vận tải; thương nhân kinh doanh mua bán khí
"""),
        ("Kinh doanh xăng dầu", """
Cấp|Cấp lại|Điều chỉnh :: Giấy chứng nhận cửa hàng đủ điều kiện bán lẻ xăng dầu
Cấp|Cấp lại|Điều chỉnh :: Giấy xác nhận đủ điều kiện làm tổng đại lý kinh doanh xăng dầu
Cấp|Cấp lại|Điều chỉnh :: Giấy xác nhận đủ điều kiện làm đại lý bán lẻ xăng dầu
Cấp|Cấp lại|Điều chỉnh :: Giấy xác nhận đủ điều kiện làm thương nhân nhận quyền bán lẻ xăng dầu
"""),
        ("Hóa chất", """
Cấp|Cấp lại|Điều chỉnh :: Giấy chứng nhận đủ điều kiện sản xuất hóa chất sản xuất, kinh doanh có điều kiện
Cấp|Cấp lại|Điều chỉnh :: Giấy chứng nhận đủ điều kiện kinh doanh hóa chất sản xuất, kinh doanh có điều kiện
Thẩm định|Điều chỉnh :: Kế hoạch phòng ngừa, ứng phó sự cố hóa chất
Xác nhận Biện pháp phòng ngừa, ứng phó sự cố hóa chất
"""),
        ("Vật liệu nổ công nghiệp", """
Cấp|Cấp lại|Điều chỉnh :: Giấy phép sử dụng vật liệu nổ công nghiệp
Cấp|Cấp lại|Điều chỉnh :: Giấy phép kinh doanh tiền chất thuốc nổ
Huấn luyện, kiểm tra và cấp giấy chứng nhận huấn luyện kỹ thuật an toàn vật liệu nổ công nghiệp
"""),
        ("Điện", """
Cấp|Cấp sửa đổi, bổ sung|Gia hạn :: giấy phép hoạt động điện lực => trong lĩnh vực phát điện đối với nhà máy điện có quy mô công suất dưới 30MW; trong lĩnh vực phân phối điện; trong lĩnh vực bán lẻ điện; trong lĩnh vực tư vấn chuyên ngành điện lực
Cấp thẻ an toàn điện ## cấp lại
Thỏa thuận đấu nối nhà máy điện mặt trời mái nhà
Phê duyệt phương án giá bán lẻ điện nông thôn
Thẩm định thiết kế xây dựng công trình đường dây và trạm biến áp
"""),
        ("An toàn thực phẩm", """
Cấp|Cấp lại :: Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm => đối với cơ sở sản xuất thực phẩm; đối với cơ sở kinh doanh thực phẩm; đối với cơ sở vừa sản xuất vừa kinh doanh thực phẩm
Cấp giấy xác nhận kiến thức về an toàn thực phẩm
Cấp Giấy chứng nhận lưu hành tự do đối với sản phẩm thực phẩm xuất khẩu thuộc quản lý của ngành Công Thương
"""),
        ("Lưu thông hàng hóa trong nước", """
Cấp|Cấp lại|Cấp sửa đổi, bổ sung :: Giấy phép bán buôn rượu
Cấp|Cấp lại|Cấp sửa đổi, bổ sung :: Giấy phép sản xuất rượu công nghiệp quy mô dưới 3 triệu lít/năm
Cấp|Cấp lại|Cấp sửa đổi, bổ sung :: Giấy phép bán buôn sản phẩm thuốc lá
Cấp|Cấp lại|Điều chỉnh :: Giấy chứng nhận đủ điều kiện kinh doanh thuốc lá nguyên liệu
Cấp|Cấp lại|Điều chỉnh :: Giấy chứng nhận đủ điều kiện đầu tư trồng cây thuốc lá
"""),
        ("Xúc tiến thương mại", """
Đăng ký thực hiện khuyến mại => theo hình thức mang tính may rủi thực hiện trên địa bàn một tỉnh; đối với hình thức khác
Đăng ký sửa đổi, bổ sung nội dung chương trình khuyến mại
Thông báo thực hiện khuyến mại
Đăng ký tổ chức hội chợ, triển lãm thương mại tại Việt Nam ## thay đổi, bổ sung
"""),
        ("Thương mại quốc tế", """
Cấp|Cấp lại|Điều chỉnh|Gia hạn :: Giấy phép thành lập Văn phòng đại diện của thương nhân nước ngoài tại Việt Nam
Chấm dứt hoạt động của Văn phòng đại diện của thương nhân nước ngoài
Cấp|Cấp lại|Điều chỉnh :: Giấy phép kinh doanh cho tổ chức kinh tế có vốn đầu tư nước ngoài => thực hiện quyền phân phối bán lẻ hàng hóa; thực hiện dịch vụ logistics; cho thuê hàng hóa; xúc tiến thương mại; trung gian thương mại; thương mại điện tử
Cấp|Điều chỉnh|Gia hạn :: Giấy phép lập cơ sở bán lẻ
Cấp Giấy chứng nhận xuất xứ hàng hóa mẫu ## cấp lại
"""),
        ("Quản lý bán hàng đa cấp", """
Đăng ký hoạt động bán hàng đa cấp tại địa phương ## đăng ký sửa đổi, bổ sung
Chấm dứt hoạt động bán hàng đa cấp tại địa phương
Thông báo tổ chức hội nghị, hội thảo, đào tạo về bán hàng đa cấp
"""),
        ("Công nghiệp địa phương", """
Thành lập|Mở rộng|Điều chỉnh quy hoạch :: cụm công nghiệp
Hỗ trợ kinh phí khuyến công địa phương
Đăng ký tham gia bình chọn sản phẩm công nghiệp nông thôn tiêu biểu cấp tỉnh
Cấp Giấy chứng nhận đủ điều kiện sản xuất sản phẩm công nghiệp hỗ trợ ưu tiên phát triển
"""),
        ("An toàn công nghiệp", """
Cấp|Cấp lại :: Giấy chứng nhận đủ điều kiện kiểm định kỹ thuật an toàn lao động
Thẩm định thiết kế, nghiệm thu công trình hồ chứa chất thải mỏ
Đăng ký sử dụng máy, thiết bị, vật tư có yêu cầu nghiêm ngặt về an toàn lao động
"""),
    ],
    "SO_GDDT": [
        ("Giáo dục trung học", """
Thành lập|Cho phép thành lập|Cho phép hoạt động giáo dục|Cho phép hoạt động giáo dục trở lại|Sáp nhập, chia, tách|Giải thể :: trường trung học phổ thông ## trường phổ thông có nhiều cấp học có cấp học cao nhất là trung học phổ thông; trường trung học phổ thông chuyên; trường phổ thông dân tộc nội trú
Chuyển trường đối với học sinh trung học phổ thông ## từ nước ngoài về
Tiếp nhận học sinh Việt Nam về nước
Tiếp nhận học sinh người nước ngoài
Xin học lại tại trường khác đối với học sinh trung học
Tuyển sinh trung học phổ thông ## trường chuyên; phổ thông dân tộc nội trú
Công nhận trường trung học cơ sở đạt chuẩn quốc gia => mức độ 1; mức độ 2
Công nhận trường trung học phổ thông đạt chuẩn quốc gia => mức độ 1; mức độ 2
Công nhận trường tiểu học đạt chuẩn quốc gia => mức độ 1; mức độ 2
Công nhận tỉnh đạt chuẩn phổ cập giáo dục, xóa mù chữ
"""),
        ("Thi, tuyển sinh", """
Đăng ký dự thi tốt nghiệp trung học phổ thông
Phúc khảo bài thi tốt nghiệp trung học phổ thông
Xét đặc cách tốt nghiệp trung học phổ thông
Phúc khảo bài thi tuyển sinh vào lớp 10
Đăng ký dự thi chọn học sinh giỏi cấp tỉnh
Đăng ký xét tuyển trình độ đại học, trình độ cao đẳng ngành Giáo dục Mầm non
"""),
        ("Văn bằng, chứng chỉ", """
Cấp bản sao văn bằng, chứng chỉ từ sổ gốc
Chỉnh sửa nội dung văn bằng, chứng chỉ
Công nhận văn bằng tốt nghiệp do cơ sở giáo dục nước ngoài cấp => trình độ trung học phổ thông; trình độ trung học cơ sở
Cấp lại bằng tốt nghiệp trung học phổ thông
Cấp giấy chứng nhận tốt nghiệp trung học phổ thông tạm thời
"""),
        ("Các cơ sở giáo dục khác", """
Thành lập|Cho phép thành lập|Cho phép hoạt động|Cho phép hoạt động trở lại|Sáp nhập, chia, tách|Giải thể :: trung tâm ngoại ngữ, tin học
Thành lập|Cho phép hoạt động|Giải thể :: trường chuyên biệt
Thành lập|Cho phép hoạt động|Sáp nhập, chia, tách|Giải thể :: trung tâm hỗ trợ và phát triển giáo dục hòa nhập
Cho phép|Gia hạn|Điều chỉnh :: liên kết giáo dục với nước ngoài
Cho phép|Gia hạn :: văn phòng đại diện giáo dục nước ngoài tại Việt Nam
Cấp|Cấp lại :: giấy chứng nhận đăng ký hoạt động dịch vụ tư vấn du học
Cho phép tổ chức hội thảo, hội nghị quốc tế về giáo dục
"""),
        ("Giáo dục nghề nghiệp", """
Thành lập|Cho phép thành lập|Sáp nhập, chia, tách|Giải thể|Đổi tên :: trường trung cấp
Thành lập|Cho phép thành lập|Sáp nhập, chia, tách|Giải thể|Đổi tên :: trung tâm giáo dục nghề nghiệp
Cấp|Cấp bổ sung|Cấp lại :: giấy chứng nhận đăng ký hoạt động giáo dục nghề nghiệp => đối với trường trung cấp; đối với trung tâm giáo dục nghề nghiệp; đối với doanh nghiệp
Cho phép thành lập phân hiệu của trường trung cấp
Cho phép hoạt động liên kết đào tạo với nước ngoài trình độ sơ cấp, trung cấp
Cấp giấy chứng nhận đăng ký hoạt động liên kết đào tạo với nước ngoài trình độ sơ cấp
Công nhận giám đốc trung tâm giáo dục nghề nghiệp tư thục
Thành lập hội đồng quản trị trường trung cấp công lập
"""),
        ("Giáo dục thường xuyên", """
Thành lập|Sáp nhập, chia, tách|Giải thể :: trung tâm giáo dục nghề nghiệp - giáo dục thường xuyên
Cho phép hoạt động giáo dục|Cho phép hoạt động trở lại :: trung tâm giáo dục nghề nghiệp - giáo dục thường xuyên
"""),
        ("Nhà giáo", """
Xét tặng danh hiệu Nhà giáo Nhân dân, Nhà giáo Ưu tú ## cấp tỉnh
Xét thăng hạng chức danh nghề nghiệp giáo viên
Tuyển dụng giáo viên
"""),
        ("Chính sách học sinh", """
Hỗ trợ học tập đối với học sinh trung học phổ thông người dân tộc thiểu số rất ít người
Xét cấp học bổng chính sách cho học sinh trường phổ thông dân tộc nội trú
Xét, duyệt chính sách hỗ trợ đối với học sinh trung học phổ thông ở xã, thôn đặc biệt khó khăn
Hỗ trợ chi phí học tập cho học sinh khuyết tật
"""),
    ],
    "SO_TP": [
        ("Lý lịch tư pháp", """
Cấp Phiếu lý lịch tư pháp => cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam; cho cơ quan nhà nước, tổ chức chính trị, tổ chức chính trị - xã hội; cho cơ quan tiến hành tố tụng; số 1 qua ứng dụng định danh điện tử; số 2 cho người được ủy quyền
"""),
        ("Quốc tịch", """
Nhập quốc tịch Việt Nam
Trở lại quốc tịch Việt Nam ở trong nước
Thôi quốc tịch Việt Nam ở trong nước
Cấp Giấy xác nhận có quốc tịch Việt Nam ở trong nước
Cấp Giấy xác nhận là người gốc Việt Nam ở trong nước
"""),
        ("Nuôi con nuôi", """
Giải quyết việc người nước ngoài cư trú ở nước ngoài nhận trẻ em Việt Nam làm con nuôi ## đích danh
Cấp giấy xác nhận công dân Việt Nam thường trú trong nước đủ điều kiện nhận con nuôi nước ngoài
Đăng ký lại việc nuôi con nuôi có yếu tố nước ngoài
"""),
        ("Luật sư", """
Đăng ký hoạt động của tổ chức hành nghề luật sư ## thay đổi nội dung
Đăng ký hoạt động của chi nhánh của tổ chức hành nghề luật sư
Đăng ký hành nghề luật sư với tư cách cá nhân ## thay đổi nội dung
Hợp nhất|Sáp nhập|Chuyển đổi :: công ty luật
Đăng ký hoạt động của chi nhánh, công ty luật nước ngoài
Cấp lại Giấy đăng ký hoạt động của tổ chức hành nghề luật sư
"""),
        ("Công chứng", """
Thành lập|Chuyển đổi|Hợp nhất|Sáp nhập|Chuyển nhượng :: văn phòng công chứng
Đăng ký hoạt động văn phòng công chứng ## thay đổi nội dung; cấp lại
Đăng ký hành nghề và cấp Thẻ công chứng viên ## cấp lại
Tạm đình chỉ hành nghề công chứng
Xóa đăng ký hành nghề và thu hồi Thẻ công chứng viên
Đề nghị bổ nhiệm|Đề nghị bổ nhiệm lại|Đề nghị miễn nhiệm :: công chứng viên
"""),
        ("Đấu giá tài sản", """
Đăng ký hoạt động của doanh nghiệp đấu giá tài sản ## thay đổi nội dung; cấp lại
Đăng ký hoạt động của chi nhánh doanh nghiệp đấu giá tài sản
Cấp|Cấp lại :: Thẻ đấu giá viên
Phê duyệt đủ điều kiện thực hiện hình thức đấu giá trực tuyến
"""),
        ("Giám định tư pháp", """
Bổ nhiệm|Miễn nhiệm :: giám định viên tư pháp
Cấp|Cấp lại|Thay đổi :: giấy đăng ký hoạt động văn phòng giám định tư pháp
Thành lập văn phòng giám định tư pháp
Chuyển đổi loại hình văn phòng giám định tư pháp
"""),
        ("Trợ giúp pháp lý", """
Yêu cầu trợ giúp pháp lý
Đăng ký tham gia trợ giúp pháp lý ## thay đổi nội dung
Lựa chọn, ký hợp đồng với luật sư thực hiện trợ giúp pháp lý
Cấp|Cấp lại :: thẻ cộng tác viên trợ giúp pháp lý
Rút yêu cầu trợ giúp pháp lý
"""),
        ("Trọng tài thương mại", """
Đăng ký hoạt động của Trung tâm trọng tài ## thay đổi nội dung; cấp lại
Đăng ký hoạt động chi nhánh Trung tâm trọng tài
Đăng ký hoạt động của chi nhánh tổ chức trọng tài nước ngoài tại Việt Nam
"""),
        ("Hòa giải thương mại", """
Đăng ký làm hòa giải viên thương mại vụ việc
Đăng ký hoạt động của Trung tâm hòa giải thương mại ## thay đổi nội dung
Đăng ký hoạt động chi nhánh Trung tâm hòa giải thương mại
"""),
        ("Quản tài viên", """
Đăng ký hành nghề quản lý, thanh lý tài sản với tư cách cá nhân
Đăng ký hành nghề quản lý, thanh lý tài sản đối với doanh nghiệp quản lý, thanh lý tài sản
Thay đổi thông tin đăng ký hành nghề của quản tài viên
"""),
        ("Thừa phát lại", """
Thành lập|Chuyển nhượng|Hợp nhất, sáp nhập :: văn phòng thừa phát lại
Đăng ký hoạt động văn phòng thừa phát lại ## thay đổi nội dung
Đăng ký hành nghề và cấp thẻ thừa phát lại ## cấp lại
"""),
        ("Bồi thường nhà nước", """
Giải quyết yêu cầu bồi thường tại cơ quan trực tiếp quản lý người thi hành công vụ gây thiệt hại cấp tỉnh
Phục hồi danh dự
Xác định cơ quan giải quyết bồi thường
"""),
        ("Tư vấn pháp luật", """
Đăng ký hoạt động của trung tâm tư vấn pháp luật ## thay đổi nội dung
Cấp|Cấp lại :: thẻ tư vấn viên pháp luật
"""),
    ],
    "SO_VHTTDL": [
        ("Di sản văn hóa", """
Cấp|Cấp lại :: giấy phép thăm dò, khai quật khảo cổ
Xác nhận đủ điều kiện cấp giấy phép hoạt động bảo tàng ngoài công lập
Cấp giấy phép làm bản sao di vật, cổ vật, bảo vật quốc gia
Đăng ký di vật, cổ vật, bảo vật quốc gia
Cấp|Cấp lại :: chứng chỉ hành nghề tu bổ di tích
Cấp|Cấp lại :: giấy chứng nhận đủ điều kiện kinh doanh giám định cổ vật
Thẩm định dự án, báo cáo kinh tế - kỹ thuật tu bổ, phục hồi di tích cấp tỉnh
Xếp hạng di tích cấp tỉnh ## xếp hạng bổ sung; hủy bỏ quyết định xếp hạng
"""),
        ("Nghệ thuật biểu diễn", """
Tổ chức biểu diễn nghệ thuật => trên địa bàn quản lý; có yếu tố nước ngoài
Tổ chức cuộc thi, liên hoan trên địa bàn quản lý
Tổ chức thi người đẹp, người mẫu trên địa bàn quản lý
Thông báo nội dung biểu diễn nghệ thuật tại nơi công cộng
"""),
        ("Mỹ thuật, nhiếp ảnh và triển lãm", """
Cấp giấy phép xây dựng tượng đài, tranh hoành tráng
Cấp giấy phép tổ chức trại sáng tác điêu khắc
Cấp giấy phép triển lãm mỹ thuật ## có yếu tố nước ngoài
Thông báo tổ chức triển lãm tại Việt Nam ## do tổ chức, cá nhân nước ngoài
Cấp giấy phép đưa tác phẩm nhiếp ảnh từ Việt Nam ra nước ngoài triển lãm
"""),
        ("Quảng cáo", """
Tiếp nhận hồ sơ thông báo sản phẩm quảng cáo trên bảng quảng cáo, băng-rôn
Cấp|Cấp lại|Sửa đổi, bổ sung :: giấy phép thành lập văn phòng đại diện của doanh nghiệp quảng cáo nước ngoài tại Việt Nam
"""),
        ("Thư viện", """
Thông báo thành lập thư viện chuyên ngành, thư viện cơ sở giáo dục ## thông báo sáp nhập, hợp nhất; thông báo chấm dứt hoạt động
Công nhận thư viện đạt chuẩn
"""),
        ("Thể dục thể thao", """
Cấp|Cấp lại|Cấp sửa đổi, bổ sung :: Giấy chứng nhận đủ điều kiện kinh doanh hoạt động thể thao => đối với môn Bơi, Lặn; đối với môn Võ cổ truyền, Vovinam; đối với môn Quần vợt; đối với môn Billiards & Snooker; đối với môn Thể dục thẩm mỹ; đối với môn Yoga; đối với môn Golf; đối với môn Bóng đá; đối với môn Karate; đối với môn Taekwondo; đối với môn Khiêu vũ thể thao; đối với môn Thể dục thể hình và Fitness; đối với môn Dù lượn và Diều bay; đối với môn Bắn súng thể thao
Công nhận hạng đẳng, cấp, đai cho vận động viên
Đăng cai tổ chức giải thi đấu vô địch từng môn thể thao của tỉnh
Công nhận Ban vận động thành lập Liên đoàn thể thao tỉnh
"""),
        ("Du lịch", """
Cấp|Cấp đổi|Cấp lại|Thu hồi :: giấy phép kinh doanh dịch vụ lữ hành nội địa
Cấp|Cấp đổi|Cấp lại :: thẻ hướng dẫn viên du lịch => quốc tế; nội địa; tại điểm
Công nhận hạng cơ sở lưu trú du lịch => hạng 1 sao, 2 sao; hạng 3 sao
Công nhận cơ sở kinh doanh dịch vụ du lịch đạt tiêu chuẩn phục vụ khách du lịch
Công nhận điểm du lịch ## khu du lịch cấp tỉnh
Thông báo thành lập văn phòng đại diện, chi nhánh doanh nghiệp kinh doanh dịch vụ lữ hành
"""),
        ("Gia đình", """
Cấp|Cấp lại|Đổi :: Giấy chứng nhận đăng ký hoạt động hỗ trợ nạn nhân bạo lực gia đình
Cấp|Cấp lại|Đổi :: Giấy chứng nhận nghiệp vụ chăm sóc nạn nhân bạo lực gia đình
"""),
        ("Văn hóa cơ sở", """
Đăng ký tổ chức lễ hội cấp tỉnh
Thông báo tổ chức lễ hội cấp tỉnh
Tặng danh hiệu Xã, phường tiêu biểu về xây dựng đời sống văn hóa
"""),
        ("Điện ảnh", """
Cấp giấy phép phân loại phim
Cấp phép phổ biến phim ## tại địa phương
"""),
    ],
    "SO_NV": [
        ("Tổ chức hành chính, sự nghiệp nhà nước", """
Thẩm định việc thành lập|Thẩm định việc tổ chức lại|Thẩm định việc giải thể :: đơn vị sự nghiệp công lập
Thẩm định đề án vị trí việc làm
Thẩm định điều chỉnh vị trí việc làm
"""),
        ("Công chức, viên chức", """
Thi tuyển|Xét tuyển :: công chức
Thi tuyển|Xét tuyển :: viên chức
Tiếp nhận vào làm công chức
Tiếp nhận vào làm viên chức
Thi nâng ngạch công chức
Xét thăng hạng chức danh nghề nghiệp viên chức
Xét chuyển cán bộ, công chức cấp xã thành công chức từ cấp tỉnh trở lên
"""),
        ("Tổ chức phi chính phủ", """
Công nhận ban vận động thành lập hội có phạm vi hoạt động trong tỉnh
Thành lập|Phê duyệt điều lệ|Chia, tách, sáp nhập, hợp nhất|Đổi tên|Giải thể|Cho phép hoạt động trở lại :: hội có phạm vi hoạt động trong tỉnh
Cấp giấy phép thành lập và công nhận điều lệ quỹ xã hội, quỹ từ thiện ## công nhận thay đổi, bổ sung điều lệ
Hợp nhất, sáp nhập, chia, tách quỹ xã hội, quỹ từ thiện
"""),
        ("Thi đua, khen thưởng", """
Tặng Bằng khen của Chủ tịch Ủy ban nhân dân cấp tỉnh => về thành tích thực hiện nhiệm vụ chính trị; theo đợt hoặc chuyên đề; về thành tích đột xuất; cho gia đình; về thành tích đối ngoại
Tặng Cờ thi đua của Ủy ban nhân dân cấp tỉnh
Tặng danh hiệu Chiến sĩ thi đua cấp tỉnh
Tặng danh hiệu Tập thể lao động xuất sắc
"""),
        ("Văn thư và lưu trữ", """
Cấp|Cấp lại :: chứng chỉ hành nghề lưu trữ
Phục vụ việc sử dụng tài liệu của độc giả tại phòng đọc
Cấp bản sao và chứng thực tài liệu lưu trữ
"""),
        ("Việc làm", """
Giải quyết hưởng trợ cấp thất nghiệp
Tạm dừng|Tiếp tục|Chấm dứt :: hưởng trợ cấp thất nghiệp
Chuyển nơi hưởng trợ cấp thất nghiệp ## đi; đến
Hỗ trợ đào tạo nghề cho người lao động đang hưởng trợ cấp thất nghiệp
Cấp|Cấp lại|Gia hạn :: giấy phép hoạt động dịch vụ việc làm của doanh nghiệp
Hỗ trợ kinh phí đào tạo, bồi dưỡng nâng cao trình độ kỹ năng nghề để duy trì việc làm cho người lao động
"""),
        ("Lao động", """
Cấp|Cấp lại|Gia hạn :: giấy phép lao động cho người lao động nước ngoài làm việc tại Việt Nam
Xác nhận người lao động nước ngoài không thuộc diện cấp giấy phép lao động
Báo cáo giải trình nhu cầu, thay đổi nhu cầu sử dụng người lao động nước ngoài
Đăng ký nội quy lao động
Đăng ký hợp đồng lao động cho người lao động Việt Nam đi làm việc ở nước ngoài theo hình thức hợp đồng cá nhân
Cấp|Cấp lại|Gia hạn :: giấy phép hoạt động cho thuê lại lao động
Tiếp nhận hồ sơ đăng ký hoạt động của cơ sở đưa người lao động đi làm việc ở nước ngoài
"""),
        ("An toàn, vệ sinh lao động", """
Cấp|Cấp lại|Gia hạn :: Giấy chứng nhận đủ điều kiện hoạt động huấn luyện an toàn, vệ sinh lao động hạng A, hạng B
Khai báo với Sở Nội vụ khi đưa vào sử dụng các loại máy, thiết bị có yêu cầu nghiêm ngặt về an toàn lao động
"""),
        ("Người có công", """
Công nhận liệt sĩ => đối với trường hợp hy sinh trong chiến tranh; đối với trường hợp hy sinh từ ngày 31/12/1994 trở về trước; đối với trường hợp hy sinh sau ngày 31/12/1994
Công nhận|Giám định lại thương tật :: thương binh, người hưởng chính sách như thương binh
Công nhận|Giải quyết chế độ ưu đãi đối với :: người hoạt động kháng chiến bị nhiễm chất độc hóa học
Giải quyết chế độ ưu đãi đối với Bà mẹ Việt Nam anh hùng
Giải quyết chế độ ưu đãi đối với người hoạt động cách mạng trước ngày 01/01/1945
Cấp|Cấp lại :: Bằng Tổ quốc ghi công
Di chuyển hài cốt liệt sĩ đang an táng ngoài nghĩa trang liệt sĩ về nghĩa trang liệt sĩ theo nguyện vọng của đại diện thân nhân
Lấy mẫu để giám định ADN xác định danh tính hài cốt liệt sĩ
"""),
        ("Tiền lương", """
Xếp hạng một công ty trách nhiệm hữu hạn một thành viên do Ủy ban nhân dân cấp tỉnh làm chủ sở hữu
"""),
        ("Chính quyền địa phương", """
Thành lập, giải thể, nhập, chia, điều chỉnh địa giới đơn vị hành chính cấp xã
Phân loại đơn vị hành chính cấp xã
Công nhận thôn, tổ dân phố đạt chuẩn
"""),
    ],
    "SO_TC": [
        ("Thành lập và hoạt động doanh nghiệp", """
Đăng ký thành lập => doanh nghiệp tư nhân; công ty trách nhiệm hữu hạn một thành viên; công ty trách nhiệm hữu hạn hai thành viên trở lên; công ty cổ phần; công ty hợp danh
Đăng ký thay đổi => địa chỉ trụ sở chính của doanh nghiệp; tên doanh nghiệp; người đại diện theo pháp luật của công ty; vốn điều lệ, tỷ lệ vốn góp; thành viên công ty hợp danh; chủ doanh nghiệp tư nhân; chủ sở hữu công ty trách nhiệm hữu hạn một thành viên
Thông báo thay đổi => ngành, nghề kinh doanh; thông tin cổ đông sáng lập; thông tin người quản lý doanh nghiệp; nội dung đăng ký thuế
Đăng ký hoạt động => chi nhánh; văn phòng đại diện; địa điểm kinh doanh
Tạm ngừng kinh doanh ## tiếp tục kinh doanh trước thời hạn đã thông báo
Giải thể doanh nghiệp
Chấm dứt hoạt động chi nhánh, văn phòng đại diện, địa điểm kinh doanh
Chuyển đổi => doanh nghiệp tư nhân thành công ty trách nhiệm hữu hạn; công ty trách nhiệm hữu hạn thành công ty cổ phần; công ty cổ phần thành công ty trách nhiệm hữu hạn
Chia|Tách|Hợp nhất|Sáp nhập :: doanh nghiệp
Cấp lại Giấy chứng nhận đăng ký doanh nghiệp
Hiệu đính thông tin đăng ký doanh nghiệp
"""),
        ("Đầu tư tại Việt Nam", """
Chấp thuận chủ trương đầu tư của Ủy ban nhân dân cấp tỉnh ## đồng thời với chấp thuận nhà đầu tư
Điều chỉnh dự án đầu tư thuộc diện chấp thuận chủ trương đầu tư của Ủy ban nhân dân cấp tỉnh
Cấp|Điều chỉnh|Cấp lại|Hiệu đính thông tin trên :: Giấy chứng nhận đăng ký đầu tư
Chuyển nhượng dự án đầu tư
Giãn tiến độ đầu tư
Ngừng hoạt động của dự án đầu tư
Chấm dứt hoạt động của dự án đầu tư
Góp vốn, mua cổ phần, mua phần vốn góp của nhà đầu tư nước ngoài
Thành lập văn phòng điều hành của nhà đầu tư nước ngoài trong hợp đồng BCC ## chấm dứt hoạt động
"""),
        ("Kinh tế hợp tác", """
Đăng ký thành lập|Đăng ký thay đổi|Giải thể :: liên hiệp hợp tác xã cấp tỉnh
"""),
        ("Quản lý công sản", """
Quyết định giao|Quyết định thu hồi|Quyết định điều chuyển|Quyết định bán|Quyết định thanh lý :: tài sản công
Xác lập quyền sở hữu toàn dân về tài sản
Mua sắm tài sản công phục vụ hoạt động của cơ quan, tổ chức, đơn vị
"""),
        ("Tài chính ngân sách", """
Đăng ký mã số đơn vị có quan hệ với ngân sách => cho các đơn vị dự toán; cho dự án đầu tư
Thông báo thay đổi thông tin mã số đơn vị có quan hệ với ngân sách
Quyết toán dự án hoàn thành sử dụng vốn đầu tư công
"""),
        ("Giá", """
Đăng ký giá
Kê khai giá
Hiệp thương giá
"""),
        ("Đấu thầu", """
Thẩm định kế hoạch lựa chọn nhà thầu
Thẩm định hồ sơ mời thầu
Thẩm định kết quả lựa chọn nhà đầu tư
"""),
    ],
    "SO_KHCN": [
        ("Tiêu chuẩn đo lường chất lượng", """
Đăng ký công bố hợp chuẩn dựa trên kết quả chứng nhận của tổ chức chứng nhận
Đăng ký công bố hợp quy dựa trên kết quả tự đánh giá
Kiểm tra nhà nước về chất lượng hàng hóa nhập khẩu
Chứng nhận|Điều chỉnh|Gia hạn :: chuẩn đo lường để kiểm định, hiệu chuẩn, thử nghiệm phương tiện đo nhóm 2
Đăng ký tham dự sơ tuyển, xét tặng Giải thưởng Chất lượng quốc gia
Cấp giấy xác nhận đăng ký lĩnh vực hoạt động xét tặng giải thưởng chất lượng sản phẩm, hàng hóa
"""),
        ("Hoạt động khoa học và công nghệ", """
Đăng ký|Thay đổi, bổ sung|Cấp lại :: hoạt động của tổ chức khoa học và công nghệ
Cấp|Cấp lại :: Giấy chứng nhận doanh nghiệp khoa học và công nghệ
Đăng ký kết quả thực hiện nhiệm vụ khoa học và công nghệ
Xét tiến hành kiểm tra đánh giá kết quả nhiệm vụ khoa học và công nghệ cấp tỉnh
Công nhận kết quả nghiên cứu khoa học và phát triển công nghệ
"""),
        ("Chuyển giao công nghệ", """
Đăng ký|Sửa đổi, bổ sung :: chuyển giao công nghệ
Cấp giấy chứng nhận hoạt động đánh giá, thẩm định giá, giám định công nghệ
"""),
        ("An toàn bức xạ và hạt nhân", """
Cấp|Gia hạn|Sửa đổi, bổ sung|Cấp lại :: giấy phép tiến hành công việc bức xạ => sử dụng thiết bị X-quang chẩn đoán trong y tế; sử dụng thiết bị X-quang chẩn đoán trong nha khoa; sử dụng thiết bị X-quang đo mật độ xương
Cấp|Cấp lại :: chứng chỉ nhân viên bức xạ
Phê duyệt kế hoạch ứng phó sự cố bức xạ cấp cơ sở
"""),
        ("Sở hữu trí tuệ", """
Hỗ trợ đăng ký bảo hộ quyền sở hữu công nghiệp
Cho phép sử dụng địa chỉ địa lý ## chỉ dẫn địa lý
"""),
        ("Báo chí", """
Cấp giấy phép xuất bản bản tin ## sửa đổi, bổ sung
Cấp giấy phép xuất bản đặc san
Văn bản chấp thuận thay đổi nội dung ghi trong giấy phép xuất bản bản tin
Cho phép họp báo ## có yếu tố nước ngoài
"""),
        ("Xuất bản, in và phát hành", """
Cấp|Cấp lại|Đổi|Sửa đổi :: giấy phép hoạt động in
Đăng ký hoạt động cơ sở in ## thay đổi thông tin
Cấp giấy phép xuất bản tài liệu không kinh doanh
Xác nhận đăng ký hoạt động phát hành xuất bản phẩm ## cấp lại
Cấp giấy phép nhập khẩu xuất bản phẩm không kinh doanh
Cấp giấy phép tổ chức triển lãm, hội chợ xuất bản phẩm
"""),
        ("Bưu chính", """
Cấp|Sửa đổi, bổ sung|Cấp lại :: giấy phép bưu chính
Cấp|Cấp lại :: văn bản xác nhận thông báo hoạt động bưu chính
"""),
        ("Phát thanh, truyền hình và thông tin điện tử", """
Cấp|Sửa đổi, bổ sung|Gia hạn|Cấp lại :: giấy phép thiết lập trang thông tin điện tử tổng hợp
Cấp|Sửa đổi, bổ sung|Gia hạn :: giấy phép cung cấp dịch vụ trò chơi điện tử G1 trên mạng
Thông báo cung cấp dịch vụ thông tin điện tử trên mạng
Cấp giấy phép thu tín hiệu truyền hình nước ngoài trực tiếp từ vệ tinh
"""),
        ("Viễn thông và Internet", """
Cấp phép xây dựng trạm thu phát sóng thông tin di động
Chấp thuận phương án dùng chung hạ tầng kỹ thuật viễn thông thụ động
"""),
    ],
    "BQL_KCN": [
        ("Đầu tư tại Việt Nam", """
Chấp thuận chủ trương đầu tư dự án trong khu công nghiệp
Cấp|Điều chỉnh|Cấp lại :: Giấy chứng nhận đăng ký đầu tư đối với dự án trong khu công nghiệp
Chuyển nhượng dự án đầu tư trong khu công nghiệp
Ngừng|Chấm dứt :: hoạt động của dự án đầu tư trong khu công nghiệp
Cấp|Điều chỉnh :: Giấy chứng nhận đủ điều kiện doanh nghiệp chế xuất
Xác nhận hợp đồng thuê lại đất trong khu công nghiệp
Góp vốn, mua cổ phần của nhà đầu tư nước ngoài vào doanh nghiệp trong khu công nghiệp
Thẩm định|Điều chỉnh :: quy hoạch chi tiết xây dựng khu công nghiệp
"""),
        ("Lao động", """
Cấp|Cấp lại|Gia hạn :: giấy phép lao động cho người nước ngoài làm việc tại khu công nghiệp
Xác nhận người lao động nước ngoài làm việc tại khu công nghiệp không thuộc diện cấp giấy phép lao động
Đăng ký nội quy lao động của doanh nghiệp trong khu công nghiệp
Đăng ký thang lương, bảng lương của doanh nghiệp trong khu công nghiệp
Đăng ký|Sửa đổi :: thỏa ước lao động tập thể của doanh nghiệp trong khu công nghiệp
"""),
        ("Hoạt động xây dựng", """
Cấp|Điều chỉnh|Gia hạn|Cấp lại :: giấy phép xây dựng công trình trong khu công nghiệp
Thẩm định thiết kế xây dựng triển khai sau thiết kế cơ sở công trình trong khu công nghiệp
"""),
        ("Môi trường", """
Cấp|Cấp đổi|Điều chỉnh :: giấy phép môi trường đối với dự án trong khu công nghiệp
Thẩm định báo cáo đánh giá tác động môi trường dự án trong khu công nghiệp
"""),
        ("Thương mại quốc tế", """
Cấp|Điều chỉnh :: Giấy phép kinh doanh cho doanh nghiệp có vốn đầu tư nước ngoài trong khu công nghiệp
Cấp Giấy chứng nhận xuất xứ hàng hóa cho doanh nghiệp trong khu công nghiệp
Xác nhận ưu đãi dự án sản xuất sản phẩm công nghiệp hỗ trợ trong khu công nghiệp
"""),
    ],
    "BHXH": [
        ("Thu bảo hiểm xã hội, bảo hiểm y tế", """
Đăng ký đóng, cấp sổ bảo hiểm xã hội, thẻ bảo hiểm y tế => cho người lao động tham gia bảo hiểm xã hội bắt buộc; cho người tham gia bảo hiểm xã hội tự nguyện; cho người chỉ tham gia bảo hiểm y tế
Đăng ký điều chỉnh đóng bảo hiểm xã hội bắt buộc, bảo hiểm y tế, bảo hiểm thất nghiệp
Cấp lại|Đổi :: sổ bảo hiểm xã hội
Cấp lại|Đổi :: thẻ bảo hiểm y tế
Hoàn trả tiền đã đóng bảo hiểm xã hội, bảo hiểm y tế
Xác nhận thời gian đóng bảo hiểm xã hội
Gộp sổ bảo hiểm xã hội
Điều chỉnh thông tin => trên sổ bảo hiểm xã hội; trên thẻ bảo hiểm y tế
Đăng ký đóng bảo hiểm y tế => cho hộ gia đình; cho học sinh, sinh viên
Xác nhận quá trình tham gia bảo hiểm thất nghiệp
Đăng ký tham gia giao dịch điện tử trong lĩnh vực bảo hiểm xã hội
"""),
        ("Chế độ bảo hiểm xã hội", """
Giải quyết hưởng chế độ => ốm đau; thai sản; dưỡng sức, phục hồi sức khỏe sau ốm đau, thai sản; tai nạn lao động, bệnh nghề nghiệp; hưu trí; tử tuất; trợ cấp hằng tháng
Giải quyết hưởng bảo hiểm xã hội một lần
Giải quyết hưởng chế độ hưu trí đối với người tham gia bảo hiểm xã hội tự nguyện
Giải quyết hưởng trợ cấp hằng tháng đối với người không đủ điều kiện hưởng lương hưu
Giải quyết hưởng trợ cấp mai táng
Điều chỉnh mức hưởng lương hưu
Chuyển nơi hưởng lương hưu, trợ cấp bảo hiểm xã hội
Tạm dừng|Tiếp tục :: hưởng lương hưu, trợ cấp bảo hiểm xã hội
Thanh toán trực tiếp chi phí khám bệnh, chữa bệnh bảo hiểm y tế
Thay đổi hình thức nhận lương hưu, trợ cấp bảo hiểm xã hội
"""),
    ],
    "THUE": [
        ("Thuế", """
Đăng ký thuế lần đầu => đối với tổ chức kinh tế, tổ chức khác; đối với hộ kinh doanh, cá nhân kinh doanh; đối với cá nhân không kinh doanh; đối với người phụ thuộc của cá nhân có thu nhập từ tiền lương, tiền công
Thay đổi thông tin đăng ký thuế => đối với tổ chức; đối với cá nhân
Chấm dứt hiệu lực mã số thuế => đối với tổ chức; đối với cá nhân
Khôi phục mã số thuế
Khai thuế => giá trị gia tăng; thu nhập doanh nghiệp; thu nhập cá nhân; tài nguyên; bảo vệ môi trường; sử dụng đất phi nông nghiệp; lệ phí trước bạ
Gia hạn nộp hồ sơ khai thuế
Quyết toán thuế thu nhập cá nhân ## đối với tổ chức trả thu nhập
Hoàn thuế => giá trị gia tăng; thu nhập cá nhân
Miễn|Giảm :: thuế sử dụng đất phi nông nghiệp
Gia hạn nộp thuế, tiền thuê đất
Khoanh nợ tiền thuế, tiền phạt, tiền chậm nộp
Xóa nợ tiền thuế, tiền phạt, tiền chậm nộp
Đăng ký sử dụng hóa đơn điện tử ## thay đổi thông tin
Cấp hóa đơn điện tử có mã của cơ quan thuế theo từng lần phát sinh
Xác nhận việc thực hiện nghĩa vụ thuế
Nộp dần tiền thuế nợ
"""),
    ],
    "SO_DTTG": [
        ("Tín ngưỡng, tôn giáo", """
Đăng ký hoạt động tôn giáo đối với tổ chức có địa bàn hoạt động ở nhiều xã trong tỉnh
Đề nghị công nhận tổ chức tôn giáo có địa bàn hoạt động ở một tỉnh
Đề nghị thành lập|Đề nghị chia, tách, sáp nhập, hợp nhất :: tổ chức tôn giáo trực thuộc có địa bàn hoạt động ở một tỉnh
Đăng ký thuyên chuyển chức sắc, chức việc, nhà tu hành
Đăng ký người được phong phẩm hoặc suy cử làm chức sắc
Đề nghị tổ chức đại hội của tổ chức tôn giáo có địa bàn hoạt động ở một tỉnh
Đề nghị tổ chức cuộc lễ ngoài cơ sở tôn giáo có quy mô tổ chức ở nhiều xã
Đề nghị giảng đạo ngoài địa bàn phụ trách, cơ sở tôn giáo
Thông báo tổ chức quyên góp vượt ra ngoài phạm vi một xã
Đề nghị sinh hoạt tôn giáo tập trung của người nước ngoài cư trú hợp pháp tại Việt Nam
Thông báo về người được bổ nhiệm, bầu cử, suy cử làm chức việc
Đăng ký mở lớp bồi dưỡng về tôn giáo cho người chuyên hoạt động tôn giáo
Đề nghị cấp đăng ký pháp nhân phi thương mại cho tổ chức tôn giáo trực thuộc
Đề nghị tự giải thể tổ chức tôn giáo trực thuộc
Đề nghị sửa đổi hiến chương của tổ chức tôn giáo có địa bàn hoạt động ở một tỉnh
Thông báo kết quả bổ nhiệm, bầu cử, suy cử những người lãnh đạo tổ chức tôn giáo
Đề nghị cải tạo, nâng cấp, xây dựng mới công trình tôn giáo
"""),
        ("Công tác dân tộc", """
Công nhận người có uy tín trong đồng bào dân tộc thiểu số ## đưa ra khỏi danh sách
Hỗ trợ đất ở, nhà ở, đất sản xuất, nước sinh hoạt cho hộ đồng bào dân tộc thiểu số nghèo
Xác định xã, thôn vùng đồng bào dân tộc thiểu số và miền núi
Hỗ trợ phát triển sản xuất theo chuỗi giá trị vùng đồng bào dân tộc thiểu số
Xét tặng Kỷ niệm chương Vì sự nghiệp phát triển các dân tộc
"""),
    ],
    "TTR": [
        ("Giải quyết khiếu nại", """
Giải quyết khiếu nại lần đầu tại cấp tỉnh
Giải quyết khiếu nại lần hai tại cấp tỉnh
"""),
        ("Giải quyết tố cáo", """
Giải quyết tố cáo tại cấp tỉnh
"""),
        ("Tiếp công dân", """
Tiếp công dân tại cấp tỉnh
Xử lý đơn tại cấp tỉnh
"""),
        ("Phòng, chống tham nhũng", """
Kê khai tài sản, thu nhập
Công khai bản kê khai tài sản, thu nhập
Xác minh tài sản, thu nhập
Tiếp nhận yêu cầu giải trình
Thực hiện việc giải trình
Tiếp nhận, xử lý thông tin, phản ánh về hành vi tham nhũng
Bảo vệ người tố cáo
"""),
    ],
    "VP_UBND": [
        ("Ngoại vụ", """
Cho phép sử dụng thẻ đi lại của doanh nhân APEC
Cho phép tổ chức hội nghị, hội thảo quốc tế thuộc thẩm quyền của Chủ tịch Ủy ban nhân dân tỉnh
Cho phép cán bộ, công chức, viên chức đi nước ngoài
Tiếp nhận đoàn khách nước ngoài vào làm việc tại tỉnh
Đăng ký hoạt động của tổ chức phi chính phủ nước ngoài trên địa bàn tỉnh
Phê duyệt khoản viện trợ không hoàn lại không thuộc hỗ trợ phát triển chính thức
Thỏa thuận quốc tế nhân danh Ủy ban nhân dân cấp tỉnh
"""),
        ("Kiểm soát thủ tục hành chính", """
Tiếp nhận, xử lý phản ánh, kiến nghị về quy định hành chính
Cung cấp thông tin theo yêu cầu của công dân
Tiếp nhận, xử lý phản ánh trên hệ thống thông tin giải quyết thủ tục hành chính
"""),
    ],
    "BCH_QS": [
        ("Chính sách quân đội", """
Giải quyết chế độ trợ cấp một lần đối với quân nhân, người làm công tác cơ yếu đã phục viên, xuất ngũ, thôi việc
Giải quyết chế độ hưu trí đối với quân nhân trực tiếp tham gia kháng chiến chống Mỹ cứu nước
Giải quyết chế độ trợ cấp đối với người tham gia chiến tranh bảo vệ Tổ quốc, làm nhiệm vụ quốc tế
Xác nhận thông tin về liệt sĩ, thân nhân liệt sĩ trong quân đội
Giải quyết chế độ đối với quân nhân xuất ngũ về địa phương
"""),
        ("Động viên quân đội", """
Đăng ký, quản lý phương tiện kỹ thuật dự bị động viên
Đăng ký sĩ quan dự bị
Xét miễn, tạm hoãn gọi nhập ngũ
Đăng ký tham gia dân quân tự vệ tại cơ quan, tổ chức
Đề nghị thành lập tự vệ trong doanh nghiệp
"""),
    ],
    "KBNN": [
        ("Kho bạc nhà nước", """
Mở|Thay đổi thông tin|Đóng :: tài khoản tại Kho bạc Nhà nước
Đăng ký sử dụng dịch vụ công trực tuyến của Kho bạc Nhà nước
Kiểm soát chi thường xuyên ngân sách nhà nước qua Kho bạc Nhà nước
Kiểm soát thanh toán vốn đầu tư công qua Kho bạc Nhà nước
Tạm ứng, thanh toán vốn đầu tư thuộc nguồn vốn ngân sách nhà nước
Xác nhận số dư tài khoản tại Kho bạc Nhà nước
"""),
    ],
    "NHNN": [
        ("Ngân hàng", """
Cấp giấy phép thành lập và hoạt động quỹ tín dụng nhân dân
Chấp thuận thay đổi => tên của quỹ tín dụng nhân dân; địa điểm đặt trụ sở chính của quỹ tín dụng nhân dân; mức vốn điều lệ của quỹ tín dụng nhân dân
Chấp thuận mở phòng giao dịch của quỹ tín dụng nhân dân
Chấp thuận chấm dứt hoạt động phòng giao dịch của quỹ tín dụng nhân dân
Đăng ký hoạt động đại lý đổi ngoại tệ
Cấp giấy phép thu, đổi ngoại tệ của tổ chức kinh tế kinh doanh casino
Thu hồi giấy phép thành lập và hoạt động quỹ tín dụng nhân dân
Chấp thuận danh sách dự kiến nhân sự quỹ tín dụng nhân dân
"""),
    ],
}


def expand_template(line):
    line = line.strip()
    actions = [""]
    if "::" in line:
        head, line = line.split("::", 1)
        actions = [a.strip() for a in head.split("|")]
    quals, base_included = [], True
    if "=>" in line:
        line, q = line.split("=>", 1)
        quals, base_included = [x.strip() for x in q.split(";")], False
    elif "##" in line:
        line, q = line.split("##", 1)
        quals = [x.strip() for x in q.split(";")]
    obj = line.strip()
    variants = ([obj] if base_included else []) + [obj + " " + q for q in quals if q]
    out = []
    for a in actions:
        for v in variants:
            name = (a + " " + v) if a else v
            name = name[0].upper() + name[1:]
            out.append(name)
    return out


def procedure_pools():
    pools = {}
    seen = {}
    for agency, fields in LIB.items():
        pool = []
        for field, text in fields:
            for line in text.strip().splitlines():
                if not line.strip():
                    continue
                for name in expand_template(line):
                    name = nfc(" ".join(name.split()))
                    if name in seen:
                        continue
                    seen[name] = agency
                    pool.append((field, name))
        pools[agency] = pool
    return pools


DUE_VALUES = [4, 8, 24, 40, 72, 120, 160, 240, 360]
DUE_WEIGHTS_COMMUNE = [14, 18, 20, 12, 12, 10, 6, 5, 3]
DUE_WEIGHTS_PROVINCE = [1, 3, 8, 10, 15, 18, 16, 16, 13]
DUE_BY_FIELD = {
    "Chứng thực": ([4, 8, 24], [50, 35, 15]),
    "Hộ tịch": ([4, 8, 24, 40, 72, 120], [20, 25, 25, 10, 10, 10]),
    "Căn cước": ([24, 40, 72, 120, 160], [5, 10, 20, 30, 35]),
    "Đăng ký, quản lý cư trú": ([8, 24, 40, 72, 120, 160], [5, 15, 15, 25, 25, 15]),
    "Tiếp công dân, khiếu nại, tố cáo": ([240, 360], [40, 60]),
    "Giải quyết khiếu nại": ([240, 360], [40, 60]),
    "Giải quyết tố cáo": ([360], [1]),
    "Đất đai": ([72, 120, 160, 240, 360], [10, 20, 25, 25, 20]),
    "Hoạt động xây dựng": ([72, 120, 160, 240, 360], [10, 25, 25, 25, 15]),
    "Quy hoạch xây dựng, kiến trúc": ([160, 240, 360], [30, 40, 30]),
    "Địa chất và khoáng sản": ([240, 360], [40, 60]),
    "Đầu tư tại Việt Nam": ([120, 160, 240, 360], [25, 25, 25, 25]),
    "Quản lý công sản": ([120, 160, 240, 360], [25, 25, 25, 25]),
    "Kinh tế hợp tác": ([24, 40, 72, 120], [25, 30, 30, 15]),
    "Thành lập và hoạt động của hộ kinh doanh": ([8, 24, 40, 72], [15, 35, 30, 20]),
    "Thành lập và hoạt động doanh nghiệp": ([24, 40, 72], [35, 40, 25]),
}
# Share of procedures offered as full-process online services, by field (default 0.44).
ONLINE_BY_FIELD = {
    "Chứng thực": 0.08,
    "Hộ tịch": 0.55,
    "Thành lập và hoạt động doanh nghiệp": 0.9,
    "Thành lập và hoạt động của hộ kinh doanh": 0.85,
    "Thuế": 0.9,
    "Thu bảo hiểm xã hội, bảo hiểm y tế": 0.8,
    "Giấy phép lái xe": 0.35,
    "Đăng ký, quản lý cư trú": 0.75,
    "Căn cước": 0.15,
    "Giám định y khoa": 0.05,
    "Giải quyết khiếu nại": 0.1,
    "Giải quyết tố cáo": 0.1,
    "Tiếp công dân, khiếu nại, tố cáo": 0.1,
    "Địa chất và khoáng sản": 0.3,
    "Đất đai": 0.3,
}


def build_procedures(rng):
    pools = procedure_pools()
    chosen = []
    for agency, _, _, _ in AGENCIES:
        pool = pools.get(agency, [])
        target = min(PROC_TARGETS[agency], len(pool))
        idx = sorted(rng.sample(range(len(pool)), target))
        for i in idx:
            chosen.append((agency, pool[i][0], pool[i][1]))
    numbers = rng.sample(range(100, 14000), len(chosen))
    rows = []
    for (agency, field, name), num in zip(chosen, numbers):
        prefix = "1" if rng.random() < 0.72 else "2"
        code = "%s.%06d%s" % (prefix, num, PROC_CODE_SUFFIX)
        p_online = ONLINE_BY_FIELD.get(field, 0.44)
        full_online = rng.random() < p_online
        if field in DUE_BY_FIELD:
            vals, weights = DUE_BY_FIELD[field]
        elif agency == "UBND_XA":
            vals, weights = DUE_VALUES, DUE_WEIGHTS_COMMUNE
        else:
            vals, weights = DUE_VALUES, DUE_WEIGHTS_PROVINCE
        due = rng.choices(vals, weights)[0]
        rows.append([code, name, agency, field, full_online, due])
    rows.sort(key=lambda r: r[0])
    return rows, pools


# ---------------------------------------------------------------------------
# Facilities, base stations, sensors
# ---------------------------------------------------------------------------

SCHOOL_PATRONS = [
    "Nguyễn Trãi", "Lê Lợi", "Trần Phú", "Quang Trung", "Lý Thường Kiệt", "Chu Văn An", "Nguyễn Du",
    "Trần Hưng Đạo", "Lê Hồng Phong", "Nguyễn Huệ", "Phan Bội Châu", "Hoàng Văn Thụ", "Lê Quý Đôn",
    "Ngô Quyền", "Nguyễn Bỉnh Khiêm", "Lương Thế Vinh", "Trần Quốc Tuấn", "Nguyễn Khuyến",
]


def build_facilities(rng, communes):
    wards = [c for c in communes if c["kind"] == "phuong"]
    xas = [c for c in communes if c["kind"] == "xa"]
    by_pop = sorted(xas, key=lambda c: (-c["population"], c["code"]))
    rows = []

    def add(name, sector, commune):
        rows.append([None, name, sector, commune["code"]])

    # Health: provincial hospitals in the capital, regional centres in the larger communes, health stations.
    central = wards[:8]
    for name, w in zip([
        "Bệnh viện Đa khoa tỉnh", "Bệnh viện Sản - Nhi tỉnh", "Bệnh viện Y học cổ truyền tỉnh",
        "Bệnh viện Phục hồi chức năng tỉnh", "Bệnh viện Tâm thần tỉnh", "Bệnh viện Mắt tỉnh",
        "Bệnh viện Phổi tỉnh", "Trung tâm Kiểm soát bệnh tật tỉnh",
    ], central):
        add(name, "health", w)
    regional = by_pop[:6]
    for c in regional[:4]:
        add("Bệnh viện Đa khoa khu vực " + c["base"], "health", c)
    for c in regional:
        add("Trung tâm Y tế khu vực " + c["base"], "health", c)
    stations = sorted(rng.sample(communes, 34), key=lambda c: c["code"])
    for c in stations:
        add("Trạm Y tế " + c["lower"], "health", c)

    # Education.
    add("Trường THPT Chuyên tỉnh", "education", wards[1])
    add("Trường Cao đẳng Y tế tỉnh", "education", wards[3])
    add("Trường Cao đẳng Kỹ thuật - Công nghệ tỉnh", "education", wards[5])
    add("Trường Phổ thông Dân tộc nội trú tỉnh", "education", wards[7])
    patrons = SCHOOL_PATRONS[:]
    rng.shuffle(patrons)
    for p, c in zip(patrons[:12], sorted(rng.sample(communes, 12), key=lambda c: c["code"])):
        add("Trường THPT " + p, "education", c)
    for c in sorted(rng.sample(xas, 10), key=lambda c: c["code"]):
        add("Trường THPT " + c["base"], "education", c)
    for c in sorted(rng.sample(communes, 10), key=lambda c: c["code"]):
        add("Trường THCS " + c["base"], "education", c)
    for c in sorted(rng.sample(communes, 10), key=lambda c: c["code"]):
        add("Trường Tiểu học " + c["base"], "education", c)

    # Public administration service centres (one-stop shops).
    add("Trung tâm Phục vụ hành chính công tỉnh", "public_service", wards[0])
    for c in sorted(rng.sample(communes, 38), key=lambda c: c["code"]):
        add("Trung tâm Phục vụ hành chính công " + c["lower"], "public_service", c)

    # Utilities: electricity branches and water supply branches.
    add("Công ty Điện lực tỉnh", "utilities", wards[2])
    add("Công ty Cổ phần Cấp nước tỉnh", "utilities", wards[4])
    for c in sorted(rng.sample(by_pop[:30], 8), key=lambda c: c["code"]):
        add("Điện lực khu vực " + c["base"], "utilities", c)
    for c in sorted(rng.sample(by_pop[:30], 6), key=lambda c: c["code"]):
        add("Chi nhánh Cấp nước " + c["base"], "utilities", c)

    names = [r[1] for r in rows]
    assert len(set(names)) == len(names), "duplicate facility names"
    for i, r in enumerate(rows, start=1):
        r[0] = "F%04d" % i
    return rows


def jitter(rng, lat, lon, sd):
    return lat + rng.gauss(0, sd), lon + rng.gauss(0, sd)


def build_stations(rng, communes):
    counts = {c["code"]: 1 for c in communes}  # every commune has at least one Viettel site
    ops = {c["code"]: ["Viettel"] for c in communes}
    weights = [c["population"] * (1.6 if c["kind"] == "phuong" else 1.0) for c in communes]
    for _ in range(N_STATIONS - len(communes)):
        c = rng.choices(communes, weights)[0]
        counts[c["code"]] += 1
        ops[c["code"]].append(rng.choices(["Viettel", "VNPT", "MobiFone"], [0.36, 0.38, 0.26])[0])
    prefix = {"Viettel": "VT", "VNPT": "VN", "MobiFone": "MB"}
    seq = {"Viettel": 0, "VNPT": 0, "MobiFone": 0}
    rows = []
    for c in communes:
        sd = 0.005 if c["kind"] == "phuong" else 0.011
        for op in ops[c["code"]]:
            seq[op] += 1
            lat, lon = jitter(rng, c["lat"], c["lon"], sd)
            rows.append(["BTS-%s-%04d" % (prefix[op], seq[op]), op, c["code"], "%.5f" % lat, "%.5f" % lon])
    rows.sort(key=lambda r: ({"VT": 0, "VN": 1, "MB": 2}[r[0][4:6]], r[0]))
    return rows


# Two synthetic rivers (lat, lon polylines): a large one crossing the capital NW -> SE, a smaller one in the west.
RIVERS = [
    [(21.40, 105.36), (21.22, 105.52), (21.03, 105.68), (20.93, 105.79), (20.76, 105.95), (20.56, 106.12)],
    [(21.18, 105.31), (20.98, 105.42), (20.78, 105.47), (20.56, 105.58)],
]


def nearest_on_river(lat, lon):
    best = None
    for ri, river in enumerate(RIVERS):
        acc = 0.0
        for (a_lat, a_lon), (b_lat, b_lon) in zip(river, river[1:]):
            dx, dy = b_lon - a_lon, b_lat - a_lat
            seg = math.hypot(dx, dy)
            t = max(0.0, min(1.0, ((lon - a_lon) * dx + (lat - a_lat) * dy) / (seg * seg)))
            p_lat, p_lon = a_lat + t * dy, a_lon + t * dx
            d = math.hypot(lat - p_lat, lon - p_lon)
            if best is None or d < best[0]:
                best = (d, ri, acc + t * seg, p_lat, p_lon)
            acc += seg
    return best


def build_sensors(rng, communes):
    wards = [c for c in communes if c["kind"] == "phuong"]
    xas = [c for c in communes if c["kind"] == "xa"]
    rows = []
    aq = sorted(rng.sample(wards, 14) + rng.sample(xas, 11), key=lambda c: c["code"])
    for i, c in enumerate(aq, start=1):
        lat, lon = jitter(rng, c["lat"], c["lon"], 0.004)
        rows.append(["AQ-%03d" % i, "aqi", c["code"], "%.5f" % lat, "%.5f" % lon])
    pm = sorted(rng.sample(wards, 10) + rng.sample(xas, 10), key=lambda c: c["code"])
    for i, c in enumerate(pm, start=1):
        lat, lon = jitter(rng, c["lat"], c["lon"], 0.004)
        rows.append(["PM-%03d" % i, "pm25", c["code"], "%.5f" % lat, "%.5f" % lon])
    # Water level gauges: communes along the rivers, spread along each river's course.
    near = []
    for c in communes:
        d, ri, s, p_lat, p_lon = nearest_on_river(c["lat"], c["lon"])
        if d < 0.06:
            near.append((ri, s, d, c, p_lat, p_lon))
    near.sort(key=lambda x: (x[0], x[1]))
    want = 15
    assert len(near) >= want, len(near)
    picks = [near[round(k * (len(near) - 1) / (want - 1))] for k in range(want)]
    for i, (ri, s, d, c, p_lat, p_lon) in enumerate(picks, start=1):
        # the gauge stands between the commune centre and the river, and stays nearer its own centre than any other
        for f in (0.8, 0.6, 0.4, 0.2, 0.0):
            lat = c["lat"] + (p_lat - c["lat"]) * f
            lon = c["lon"] + (p_lon - c["lon"]) * f
            own = math.hypot(lat - c["lat"], lon - c["lon"])
            if all(math.hypot(lat - o["lat"], lon - o["lon"]) > own + 0.004 for o in communes if o is not c):
                break
        lat += rng.gauss(0, 0.0008)
        lon += rng.gauss(0, 0.0008)
        rows.append(["WL-%03d" % i, "water_level", c["code"], "%.5f" % lat, "%.5f" % lon])
    return rows


THRESHOLDS = [
    ["aqi", "150", "AQI", "Chất lượng không khí xấu", "Unhealthy air quality"],
    ["pm25", "55.5", "µg/m³", "Bụi mịn PM2.5 ở mức có hại cho sức khỏe", "Unhealthy PM2.5 concentration"],
    ["water_level", "4.5", "m", "Mực nước vượt mức báo động", "Water level above alert level"],
]


# ---------------------------------------------------------------- commune boundaries (GeoJSON)
# Distances are measured in a local plane where a degree of longitude is cos(lat) of a degree of latitude,
# so cells are the Voronoi cells a map reader expects.
KX = math.cos(math.radians(CENTER_LAT))


def province_outline(steps=180):
    """The province the communes were placed in: the square of HALF_SPAN with its corners rounded (the
    circle dx^2 + dy^2 = 1.55 of place_communes), a little larger so every centre is well inside."""
    r = math.sqrt(1.55)
    pts = []
    for i in range(steps):
        a = 2 * math.pi * i / steps
        ux, uy = math.cos(a), math.sin(a)
        # Where the ray leaves the square, and where it leaves the circle: the nearer one.
        t_square = 1.0 / max(abs(ux), abs(uy))
        t = min(t_square, r) * 1.02
        pts.append((CENTER_LON + ux * t * HALF_SPAN, CENTER_LAT + uy * t * HALF_SPAN))
    return pts


def clip(poly, p, q):
    """The part of convex polygon `poly` (lon, lat points) nearer to p than to q (Sutherland-Hodgman)."""
    # Keep x where (x - m) . (q - p) <= 0, m the midpoint, in the local plane.
    nx, ny = (q[0] - p[0]) * KX, q[1] - p[1]
    mx, my = (p[0] + q[0]) / 2, (p[1] + q[1]) / 2

    def side(v):
        return (v[0] - mx) * KX * nx + (v[1] - my) * ny

    out = []
    for i, a in enumerate(poly):
        b = poly[(i + 1) % len(poly)]
        sa, sb = side(a), side(b)
        if sa <= 0:
            out.append(a)
        if (sa < 0) != (sb < 0) and sa != sb:
            t = sa / (sa - sb)
            out.append((a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t))
    return out


def build_boundaries(communes):
    outline = province_outline()
    features = []
    for c in communes:
        p = (c["lon"], c["lat"])
        cell = outline
        for o in communes:
            if o is not c:
                cell = clip(cell, p, (o["lon"], o["lat"]))
        ring = [[round(x, 5), round(y, 5)] for x, y in cell]
        ring.append(ring[0])
        features.append({
            "type": "Feature",
            "properties": {"code": c["code"], "name": c["name"], "kind": c["kind"]},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        })
    return {"type": "FeatureCollection", "features": features}


def write_geojson(name, doc):
    os.makedirs(GEO_DIR, exist_ok=True)
    path = os.path.join(GEO_DIR, name)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


def main():
    rng = random.Random(SEED)
    os.makedirs(OUT_DIR, exist_ok=True)

    communes = build_communes(random.Random(rng.getrandbits(64)))
    write_csv("communes", ["commune_code", "commune_name", "kind", "lat", "lon", "population"], [
        [c["code"], c["name"], c["kind"], "%.5f" % c["lat"], "%.5f" % c["lon"], c["population"]]
        for c in communes
    ])
    write_geojson("communes.geojson", build_boundaries(communes))
    write_csv("agencies", ["agency_code", "agency_name", "agency_name_en", "level"], [list(a) for a in AGENCIES])

    procedures, pools = build_procedures(random.Random(rng.getrandbits(64)))
    write_csv("procedures", ["procedure_code", "procedure_name", "agency_code", "field", "full_online", "due_hours"],
              procedures)

    facilities = build_facilities(random.Random(rng.getrandbits(64)), communes)
    write_csv("facilities", ["facility_id", "facility_name", "sector", "commune_code"], facilities)

    stations = build_stations(random.Random(rng.getrandbits(64)), communes)
    write_csv("stations", ["station_id", "operator", "commune_code", "lat", "lon"], stations)

    sensors = build_sensors(random.Random(rng.getrandbits(64)), communes)
    write_csv("sensors", ["sensor_id", "kind", "commune_code", "lat", "lon"], sensors)

    write_csv("sensor_thresholds", ["kind", "threshold", "unit", "label_vi", "label_en"], THRESHOLDS)

    short = {a: (len(pools.get(a, [])), t) for a, t in PROC_TARGETS.items() if len(pools.get(a, [])) < t}
    print("wrote %d communes, %d agencies, %d procedures, %d facilities, %d stations, %d sensors to %s" % (
        len(communes), len(AGENCIES), len(procedures), len(facilities), len(stations), len(sensors),
        os.path.normpath(OUT_DIR)))
    if short:
        print("note: name pools smaller than targets (pool, target):", short)


if __name__ == "__main__":
    main()
