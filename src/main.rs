// A faster allocator than glibc's for a program that makes and drops many small
// records and requests per second (measured in bench/RESULTS.md, P1).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(regen::cli::main());
}
