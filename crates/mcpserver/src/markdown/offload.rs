//! Async entry points that keep large conversions off the runtime's worker threads.
//!
//! The converters are linear, but a document of several megabytes still takes milliseconds
//! of CPU; on an async worker that stalls every other request scheduled there. These
//! wrappers convert small inputs inline (no thread hop for the common case) and hand inputs
//! of [`BLOCKING_THRESHOLD`] bytes or more to tokio's blocking pool.

use serde_json::Value;

/// Input size (bytes of Markdown, or approximate bytes of JSON) from which a conversion runs
/// on the blocking pool instead of the calling worker.
pub(crate) const BLOCKING_THRESHOLD: usize = 64 * 1024;

/// Runs `convert(input)` inline when `size` is below [`BLOCKING_THRESHOLD`], else on the
/// blocking pool. A panic in `convert` is resumed in the caller, as if it ran inline.
pub(crate) async fn run<I, O>(input: I, size: usize, convert: impl FnOnce(I) -> O + Send + 'static) -> O
where
    I: Send + 'static,
    O: Send + 'static,
{
    if size < BLOCKING_THRESHOLD {
        return convert(input);
    }
    match tokio::task::spawn_blocking(move || convert(input)).await {
        Ok(out) => out,
        Err(err) => match err.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            // Only cancelled when the runtime shuts down; nothing is waiting for the answer.
            Err(err) => panic!("markdown conversion did not complete: {err}"),
        },
    }
}

/// Approximate serialised size of `value`, counted only up to `limit` (so measuring a huge
/// document costs no more than measuring one of `limit` bytes).
pub(crate) fn json_size(value: &Value, limit: usize) -> usize {
    let mut size = 0;
    let mut todo = vec![value];
    while let Some(v) = todo.pop() {
        if size >= limit {
            break;
        }
        size += match v {
            Value::String(s) => s.len() + 2,
            Value::Array(items) => {
                todo.extend(items);
                2
            }
            Value::Object(map) => {
                for (key, v) in map {
                    size += key.len() + 4;
                    todo.push(v);
                }
                2
            }
            _ => 4,
        };
    }
    size
}

/// [`super::adf::adf_to_markdown`], off the worker for a large document.
pub(crate) async fn adf_to_markdown(doc: Value) -> String {
    let size = json_size(&doc, BLOCKING_THRESHOLD);
    run(doc, size, |doc| super::adf::adf_to_markdown(&doc)).await
}

/// [`super::adf::markdown_to_adf`], off the worker for a large document.
pub(crate) async fn markdown_to_adf(md: String) -> Value {
    let size = md.len();
    run(md, size, |md| super::adf::markdown_to_adf(&md)).await
}

/// [`super::notion::blocks_to_markdown`], off the worker for a large document.
pub(crate) async fn blocks_to_markdown(blocks: Vec<Value>) -> String {
    let size = blocks.iter().map(|b| json_size(b, BLOCKING_THRESHOLD)).fold(0, usize::saturating_add);
    run(blocks, size, |blocks| super::notion::blocks_to_markdown(&blocks)).await
}

/// [`super::notion::markdown_to_blocks`], off the worker for a large document.
pub(crate) async fn markdown_to_blocks(md: String) -> Vec<Value> {
    let size = md.len();
    run(md, size, |md| super::notion::markdown_to_blocks(&md)).await
}

#[cfg(test)]
mod tests {
    use std::thread;

    use serde_json::json;

    use super::*;

    fn current_thread_runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().build().unwrap()
    }

    #[test]
    fn small_inputs_convert_inline_and_large_ones_on_the_blocking_pool() {
        let rt = current_thread_runtime();
        let caller = thread::current().id();
        let small = rt.block_on(run((), BLOCKING_THRESHOLD - 1, |()| thread::current().id()));
        assert_eq!(small, caller);
        let large = rt.block_on(run((), BLOCKING_THRESHOLD, |()| thread::current().id()));
        assert_ne!(large, caller);
    }

    #[test]
    fn a_panic_in_the_pool_reaches_the_caller() {
        let rt = current_thread_runtime();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(run((), BLOCKING_THRESHOLD, |()| -> () { panic!("boom") }))
        }));
        assert!(caught.is_err());
    }

    #[test]
    fn json_size_stops_counting_at_the_limit() {
        let doc =
            json!({"type": "doc", "content": vec![json!({"type": "text", "text": "x".repeat(1000)}); 1000]});
        let full = json_size(&doc, usize::MAX);
        assert!(full > 1_000_000, "{full}");
        assert!(json_size(&doc, 10_000) < 20_000);
    }

    #[test]
    fn wrappers_give_the_same_result_as_the_converters() {
        let rt = current_thread_runtime();
        let big = format!("# Title\n\n{}", "para **bold** text\\\n".repeat(10_000));
        for md in ["a *b* c\n", big.as_str()] {
            let adf = rt.block_on(markdown_to_adf(md.to_string()));
            assert_eq!(adf, crate::markdown::adf::markdown_to_adf(md));
            assert_eq!(
                rt.block_on(adf_to_markdown(adf.clone())),
                crate::markdown::adf::adf_to_markdown(&adf)
            );
            let blocks = rt.block_on(markdown_to_blocks(md.to_string()));
            assert_eq!(blocks, crate::markdown::notion::markdown_to_blocks(md));
            assert_eq!(
                rt.block_on(blocks_to_markdown(blocks.clone())),
                crate::markdown::notion::blocks_to_markdown(&blocks)
            );
        }
    }
}
