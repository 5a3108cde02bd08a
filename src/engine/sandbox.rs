//! What analysts' SQL may do: one read-only query. Checked on the parsed statement before planning (so the
//! message says what was refused), and again by DataFusion's `SQLOptions` when the plan is built.
//!
//! Refused: DDL (`CREATE`, `DROP`, `CREATE EXTERNAL TABLE`), DML (`INSERT`, `UPDATE`, `DELETE`, `COPY`),
//! statements (`SET`, `RESET`, `EXPLAIN`, transactions), and more than one statement. Files and URLs
//! cannot be read: the session has no file formats, no URL tables and no table functions that read files,
//! so `SELECT * FROM '/etc/passwd'` names a table that does not exist.
//!
//! Size comes first, before anything is parsed into a tree: the text is at most 64 KiB, and the tokens are
//! counted (the tokenizer does not recurse) so that a query holds at most [`MAX_OPERATORS`] operators.
//! DataFusion's planner and optimizer recurse over the expression tree, and a chain of binary operators
//! (`1+1+...+1`, `a AND a AND ...`) is as deep as it is long; nesting by parentheses, functions, `CASE`
//! or `NOT` is bounded by the parser's recursion limit (50). The bound here keeps the deepest tree far
//! below what the evaluation threads' stacks (16 MiB) hold.

use datafusion::error::DataFusionError;
use datafusion::sql::parser::{DFParser, Statement};
use datafusion::sql::sqlparser::ast::Statement as SqlStatement;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};
use serde::Serialize;

use super::scenario::MAX_SQL_BYTES;

/// A refused or failed query, with the 1-based position in the SQL text when one is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct SqlError {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl SqlError {
    pub fn new(message: impl Into<String>) -> SqlError {
        SqlError {
            message: message.into(),
            line: None,
            column: None,
        }
    }
}

impl From<DataFusionError> for SqlError {
    fn from(e: DataFusionError) -> SqlError {
        let position = e
            .diagnostic()
            .and_then(|d| d.span)
            .map(|s| (s.start.line as usize, s.start.column as usize))
            .filter(|(l, c)| *l > 0 && *c > 0)
            .or_else(|| position_in_message(&e.to_string()));
        let message = e.to_string();
        let message = message
            .strip_prefix("SQL error: ParserError(\"")
            .and_then(|m| m.strip_suffix("\")"))
            .map(str::to_string)
            .unwrap_or(message);
        SqlError {
            message,
            line: position.map(|p| p.0),
            column: position.map(|p| p.1),
        }
    }
}

/// `... at Line: 3, Column: 7` in sqlparser's messages.
fn position_in_message(message: &str) -> Option<(usize, usize)> {
    let number_after = |label: &str| -> Option<usize> {
        let rest = &message[message.rfind(label)? + label.len()..];
        rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
    };
    Some((number_after("Line: ")?, number_after("Column: ")?))
}

/// Binary operators (and `AND`/`OR`) one query may hold.
pub const MAX_OPERATORS: usize = 1_000;
/// Calls of functions that build large values ([`super::capped::BUILDERS`]) one query may make: each
/// value is limited, and so is their number, so that `||` between them stays bounded.
pub const MAX_BUILDER_CALLS: usize = 16;

/// Checks the size of `sql` (an expression or a query) without building a tree: its length and the number
/// of its operators.
pub fn check_size(sql: &str) -> Result<(), SqlError> {
    if sql.len() > MAX_SQL_BYTES {
        return Err(SqlError::new(format!("the SQL is longer than {MAX_SQL_BYTES} bytes")));
    }
    // A text that does not tokenize is left to the parser, which says where.
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, sql).tokenize() else {
        return Ok(());
    };
    let operators = tokens.iter().filter(|t| is_operator(t)).count();
    let significant: Vec<&Token> = tokens.iter().filter(|t| !matches!(t, Token::Whitespace(_))).collect();
    let builders = significant
        .windows(2)
        .filter(|w| match (w[0], w[1]) {
            (Token::Word(word), Token::LParen) => {
                super::capped::BUILDERS.contains(&word.value.to_ascii_lowercase().as_str())
            }
            _ => false,
        })
        .count();
    if builders > MAX_BUILDER_CALLS {
        return Err(SqlError::new(format!(
            "the SQL calls functions that build values ({}) {builders} times, more than the limit of \
             {MAX_BUILDER_CALLS}",
            super::capped::BUILDERS.join(", ")
        )));
    }
    if operators > MAX_OPERATORS {
        return Err(SqlError::new(format!(
            "the SQL holds {operators} operators, more than the limit of {MAX_OPERATORS}; \
             split the expression, or use IN (...) or CASE for long lists"
        )));
    }
    Ok(())
}

fn is_operator(t: &Token) -> bool {
    match t {
        Token::Word(w) => matches!(w.keyword, Keyword::AND | Keyword::OR),
        Token::DoubleEq
        | Token::Eq
        | Token::Neq
        | Token::Lt
        | Token::Gt
        | Token::LtEq
        | Token::GtEq
        | Token::Spaceship
        | Token::Plus
        | Token::Minus
        | Token::Mul
        | Token::Div
        | Token::DuckIntDiv
        | Token::Mod
        | Token::StringConcat
        | Token::Ampersand
        | Token::Pipe
        | Token::Caret
        | Token::ShiftLeft
        | Token::ShiftRight
        | Token::Tilde
        | Token::DoubleColon
        | Token::Arrow
        | Token::LongArrow => true,
        _ => false,
    }
}

/// Parses `sql` and checks it is exactly one query.
pub fn check(sql: &str) -> Result<(), SqlError> {
    check_size(sql)?;
    let statements = DFParser::parse_sql_with_dialect(sql, &GenericDialect {})?;
    match statements.len() {
        0 => return Err(SqlError::new("the SQL holds no statement")),
        1 => {}
        n => return Err(SqlError::new(format!("only one statement is allowed; found {n}"))),
    }
    match &statements[0] {
        Statement::Statement(s) if matches!(s.as_ref(), SqlStatement::Query(_)) => Ok(()),
        other => Err(SqlError::new(format!(
            "only a SELECT query is allowed here; refused: {}",
            kind(other)
        ))),
    }
}

fn kind(s: &Statement) -> String {
    match s {
        Statement::CreateExternalTable(_) => "CREATE EXTERNAL TABLE".into(),
        Statement::CopyTo(_) => "COPY".into(),
        Statement::Explain(_) => "EXPLAIN".into(),
        Statement::Reset(_) => "RESET".into(),
        Statement::Statement(s) => {
            // The statement's own text up to its first two words names it well enough (`CREATE TABLE`, `SET x`).
            let text = s.to_string();
            text.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_queries_only() {
        assert!(check("WITH a AS (SELECT 1 AS x) SELECT x, row_number() OVER (ORDER BY x) FROM a").is_ok());
        for (sql, word) in [
            ("CREATE TABLE t (a int)", "CREATE TABLE"),
            ("DROP TABLE dossiers", "DROP TABLE"),
            ("INSERT INTO t VALUES (1)", "INSERT INTO"),
            ("COPY dossiers TO '/tmp/x.csv'", "COPY"),
            ("SET datafusion.execution.batch_size = 1", "SET"),
            (
                "CREATE EXTERNAL TABLE p STORED AS CSV LOCATION '/etc/passwd'",
                "CREATE EXTERNAL TABLE",
            ),
            ("EXPLAIN SELECT 1", "EXPLAIN"),
        ] {
            let e = check(sql).unwrap_err();
            assert!(e.message.contains(word), "{sql}: {e:?}");
        }
        assert!(check("SELECT 1; SELECT 2")
            .unwrap_err()
            .message
            .contains("one statement"));
    }

    #[test]
    fn long_operator_chains_are_refused_before_parsing() {
        let chain = |n: usize| format!("SELECT {}", vec!["1"; n].join("+"));
        assert!(check(&chain(500)).is_ok());
        let e = check(&chain(20_000)).unwrap_err();
        assert!(e.message.contains("operators"), "{e:?}");
        let ands = format!("SELECT 1 WHERE {}", vec!["'a' = 'a'"; 3_000].join(" AND "));
        assert!(check(&ands).unwrap_err().message.contains("operators"));
    }

    #[test]
    fn parser_errors_carry_the_position() {
        let e = check("SELECT a\n  FROM t WHERE ) x").unwrap_err();
        assert_eq!(e.line, Some(2), "{e:?}");
        assert!(e.column.is_some());
    }
}
