//! The smallest program that adopts the loader: prints the tensor count of
//! each file named on the command line.

fn main() -> Result<(), loadlab_loader::LoadError> {
    loadlab_loader::guard::install();
    for path in std::env::args().skip(1) {
        let m = loadlab_loader::Model::open(&path, loadlab_loader::Backend::Mmap, &loadlab_loader::Limits::default())?;
        println!("{path}: {} tensors", m.inventory().tensors.len());
    }
    Ok(())
}
