/// Memory comes from mimalloc rather than the C library's allocator: with the threads that read
/// SQLite (a report reads a million rows on each of two), glibc kept the memory of every thread's
/// arena after the request and the process grew to twice what it held (see docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    steward::cli::main()
}
