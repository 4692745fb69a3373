/// mimalloc instead of the C library's allocator: request handling allocates many short-lived
/// buffers, and glibc's malloc/free were 20–30 % of the instructions per request
/// (docs/benchmarks.md). Built without transparent huge pages (feature `no_thp`), which would
/// otherwise inflate resident memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

unsafe extern "C" {
    /// mimalloc's `mi_option_set` (include/mimalloc.h).
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_t` (the version `libmimalloc-sys`
/// builds by default): how long freed memory stays committed before it goes back to the OS.
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

fn main() -> std::process::ExitCode {
    // mimalloc keeps freed pages for a second by default; returning them at once keeps the
    // resident set near what is in use (about 2 MB less at the MCP benchmark's peak, for no
    // measurable CPU). `MIMALLOC_PURGE_DELAY` in the environment still decides when set.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets a plain integer option; mimalloc reads it when it next purges.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
    mcpserver::cli::run(mcpserver::cli::parse())
}
