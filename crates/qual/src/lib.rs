//! The qualitative workbench (PRODUCT.md, module 5). Pure: no I/O.
//!
//! So far: [`agreement`], intercoder agreement over any unit the researcher chooses.

pub mod agreement;
pub mod codebook;
pub mod coding;
pub mod text;
