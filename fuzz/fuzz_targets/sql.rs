//! Fuzz target for analysts' SQL: arbitrary text validated as a scenario by an in-process engine over the
//! test catalog (`tests/fixtures/basic`), as `POST /api/v1/scenarios/validate` does. Any answer is fine
//! (the definition plans, or an error says why); a panic, an abort (a stack overflow, a refused
//! allocation) or a hang is a crash. `tests/fuzz_sql.rs` runs the same property in CI on generated inputs.

#![no_main]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use ioc_stream::catalog::Catalog;
use ioc_stream::config::Config;
use ioc_stream::engine::{Engine, Scenario};
use ioc_stream::fanout::Hub;
use ioc_stream::store::Store;
use libfuzzer_sys::fuzz_target;

struct World {
    runtime: tokio::runtime::Runtime,
    engine: Arc<Engine>,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let queries = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/basic");
        let catalog = Catalog::load(&queries).expect("the test catalog loads");
        let config = Config {
            queries,
            ..Config::default()
        };
        let store = Arc::new(Store::new(&catalog, config.seal_rows, config.seal_age));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let engine = runtime
            .block_on(async { Engine::new(&config, &catalog, store, Arc::new(Hub::new(1))) })
            .expect("the engine starts");
        World { runtime, engine }
    })
}

fuzz_target!(|data: &[u8]| {
    let world = world();
    let def = Scenario {
        sql: String::from_utf8_lossy(data).into_owned(),
        ..Scenario::named("fuzz")
    };
    let _ = world.runtime.block_on(world.engine.validate(&def));
});
