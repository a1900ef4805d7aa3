pub mod bench;
pub mod calc;
pub mod engine_opts;
pub mod generate;
pub mod models;
pub mod plc;
pub mod st;
pub mod st_sim;
