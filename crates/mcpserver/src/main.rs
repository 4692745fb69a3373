/// mimalloc instead of the C library's allocator: request handling allocates many short-lived
/// buffers, and glibc's malloc/free were 20–30 % of the instructions per request
/// (docs/benchmarks.md). Built without transparent huge pages (feature `no_thp`), which would
/// otherwise inflate resident memory. Its own environment settings (`MIMALLOC_PURGE_DELAY`…)
/// apply as documented by mimalloc (docs/operations.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    mcpserver::cli::run(mcpserver::cli::parse())
}
