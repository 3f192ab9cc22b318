//! `regen doctor`'s probe of typed replies: does the endpoint honour a
//! `response_format` JSON Schema (as a step's `reply:` shape asks)? One tiny
//! request with the shape `{answer: bool}`; the reply says which
//! `reply_format` fits the server.

use crate::reply_shape::{ReplyShape, ShapeField};
use serde_json::{json, Value};

/// What the endpoint did with a schema: honoured, read leniently, ignored or
/// refused — with what to do about it. `None` when it could not be asked.
pub(super) async fn probe(endpoint: &str, model: &str, key: Option<&str>) -> (bool, String) {
    let shape = ReplyShape::Object(vec![ShapeField {
        name: "answer".into(),
        shape: ReplyShape::Bool,
        optional: false,
    }]);
    let body = json!({
        "model": model,
        "messages": [{"role": "user", "content": "Is 2 + 2 equal to 4? Answer yes or no."}],
        "max_tokens": 20,
        "response_format": shape.response_format(false),
    });
    let client = match crate::run::client::wire::reqwest_client(30.0) {
        Ok(c) => c,
        Err(e) => return (false, format!("cannot set up the HTTP client: {e}")),
    };
    let url = format!("{}/chat/completions", endpoint.trim_end_matches('/'));
    let mut req = client.post(&url).json(&body);
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => return (false, format!("no answer: {e}")),
    };
    let status = resp.status();
    let reply: Value = match resp.json().await {
        Ok(v) => v,
        Err(e) => {
            return (
                false,
                format!("HTTP {status}, and the body is not JSON: {e}"),
            )
        }
    };
    if !status.is_success() {
        return (
            false,
            format!(
                "refused (HTTP {status}): set `reply_format = \"prompt\"` on this model for steps with `reply:`"
            ),
        );
    }
    let text = reply["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or("");
    let strict = serde_json::from_str::<Value>(text)
        .ok()
        .filter(|v| shape.validate(v).is_ok());
    match (strict, crate::reply_parse::parse(text, &shape)) {
        (Some(_), _) => (true, "honoured: `response_format` JSON Schema replies fit".into()),
        (None, Ok(_)) => (
            true,
            "accepted, but replies needed a lenient read (fences or text around the JSON); regen reads them so".into(),
        ),
        (None, Err(problem)) => (
            false,
            format!(
                "ignored ({problem}): set `reply_format = \"prompt\"` on this model for steps with `reply:`"
            ),
        ),
    }
}
