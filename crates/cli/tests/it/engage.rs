//! `cocare engage its` as other tools call it.
