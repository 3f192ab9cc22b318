fn main() {
    std::process::exit(regen::cli::main());
}
