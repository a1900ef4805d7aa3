// Every command the app registers. `build.rs` includes this file to generate a
// permission per command, `capabilities/default.json` must allow each (a test
// checks), and `lib.rs` registers exactly these.
pub const COMMANDS: &[&str] = &[
    "app_info",
    "settings_get",
    "settings_set",
    "model_download",
    "docs_add",
    "docs_list",
    "docs_status",
    "docs_search",
    "docs_chunk",
    "docs_page",
    "docs_remove",
    "ask",
    "cancel",
    "st_check",
    "st_format",
    "st_test",
    "st_plcopen",
    "plc_generate",
    "save_text",
    "chats_list",
    "chat_save",
    "chat_load",
];
