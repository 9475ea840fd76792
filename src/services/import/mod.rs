//! Import from a spreadsheet: a CSV file is read ([`file`]), checked row by row against
//! the users as they are ([`check`]) without changing anything, kept until **Import**,
//! then checked again and applied as one bulk job whose items carry each row's plan
//! ([`run`]), re-checked once more as each is worked on.

pub mod check;
pub mod file;
pub mod run;
