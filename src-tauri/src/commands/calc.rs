//! The mechanism models as the app's calculator: the tools with their
//! arguments, and a tool run on the values typed in.

use millwright_app::calc::{CalcRequest, ToolInfo};
use millwright_tools::Called;

use crate::state::message;

#[tauri::command]
pub fn calc_tools() -> Vec<ToolInfo> {
    millwright_app::calc::tools()
}

#[tauri::command]
pub fn calc_run(request: CalcRequest) -> Result<Called, String> {
    millwright_app::calc::run(&request).map_err(message)
}
