//! What the route-coverage tests of both services share: the routes a router's source
//! declares, and the operations an OpenAPI document lists, so a test can fail when a route
//! is missing from the document.

use serde_json::Value;

/// The `(METHOD, path)` pairs of every `.route("PATH", get(..).post(..))` call in `source`
/// (a router's Rust source), methods upper-case. Handler expressions may nest calls and
/// closures; method routers are recognised by `get(`, `post(`, `put(`, `patch(` and
/// `delete(` at the start of the expression or after a `.`.
///
/// # Panics
/// When a `.route(` call is not closed or has no string literal path (the source is not a
/// router the test understands: fix the test, not the router).
pub fn router_routes(source: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(".route(") {
        let call = &rest[at + ".route(".len()..];
        let end = closing_paren(call).expect("a .route( call is closed");
        let args = &call[..end];
        let open = args.find('"').expect("a route's path is a string literal");
        let close = args[open + 1..]
            .find('"')
            .expect("the path's literal is closed")
            + open
            + 1;
        let path = &args[open + 1..close];
        let handlers = &args[close + 1..];
        for method in ["get", "post", "put", "patch", "delete"] {
            let called = format!("{method}(");
            let mut from = 0;
            while let Some(i) = handlers[from..].find(&called) {
                let i = from + i;
                let before = handlers[..i].trim_end().chars().last();
                if matches!(before, Some(',' | '.')) {
                    out.push((method.to_uppercase(), path.to_owned()));
                    break;
                }
                from = i + called.len();
            }
        }
        rest = &call[end..];
    }
    out
}

/// The index of the `)` closing a call whose `(` was just before `text`.
fn closing_paren(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    None
}

/// Whether `document` (an OpenAPI document as JSON) has an operation `method` (upper-case)
/// on `path`.
pub fn has_operation(document: &Value, method: &str, path: &str) -> bool {
    document["paths"][path][method.to_lowercase()].is_object()
}

/// Every operation of `document` as `(METHOD, path, operation)`.
pub fn operations(document: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for method in ["get", "put", "post", "delete", "patch", "options", "head"] {
            if let Some(op) = item.get(method) {
                out.push((method.to_uppercase(), path.clone(), op));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_method_routers_with_nested_calls_and_closures() {
        let source = r#"
            Router::new()
                .route("/a", get(a::list).post(a::create))
                .route(
                    "/a/{id}",
                    get(a::show).patch(a::change),
                )
                .route("/v", get(pages::paste).post(pages::verify).layer(DefaultBodyLimit::max(pages::LIMIT)))
                .route("/healthz", get(|| async { "ok (not a get(" }))
                .route("/forget", post(forget_get))
        "#;
        assert_eq!(
            router_routes(source),
            [
                ("GET", "/a"),
                ("POST", "/a"),
                ("GET", "/a/{id}"),
                ("PATCH", "/a/{id}"),
                ("GET", "/v"),
                ("POST", "/v"),
                ("GET", "/healthz"),
                ("POST", "/forget"),
            ]
            .map(|(m, p)| (m.to_owned(), p.to_owned()))
        );
    }
}
