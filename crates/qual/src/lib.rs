//! The qualitative workbench (PRODUCT.md, module 5). Pure: no I/O.
//!
//! [`text`] positions and transcripts, [`codebook`] codebooks and ready frames (QDC),
//! [`coding`] codings, co-occurrence and reliability data, [`agreement`] intercoder agreement,
//! [`search`] words and hits for full-text search, [`realist`] CMO configurations, and
//! [`qdpx`] whole-project exchange (REFI-QDA QDPX).

pub mod agreement;
pub mod codebook;
pub mod coding;
pub mod qdpx;
pub mod realist;
pub mod search;
pub mod text;
