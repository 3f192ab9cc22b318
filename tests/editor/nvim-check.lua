-- Run by tests/editor.rs: Neovim opens a workflow with the shipped
-- editors/nvim/regen.lua, waits for regen lsp's diagnostics, asks for a hover
-- and writes what it saw as JSON.
local env = function(k) return (assert(os.getenv(k), k)) end

local function check()
  vim.g.regen_cmd = env("REGEN_BIN")
  dofile(env("REGEN_NVIM_PLUGIN"))
  vim.cmd("edit " .. vim.fn.fnameescape(env("REGEN_FILE")))
  local buf = vim.api.nvim_get_current_buf()
  vim.wait(20000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
  local result = { filetype = vim.bo[buf].filetype, diagnostics = {}, clients = #vim.lsp.buf_get_clients(buf) }
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
    table.insert(result.diagnostics, { code = code, lnum = d.lnum, col = d.col, message = d.message })
  end
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = tonumber(env("REGEN_HOVER_LINE")), character = tonumber(env("REGEN_HOVER_COL")) },
  }
  for _, r in pairs(vim.lsp.buf_request_sync(buf, "textDocument/hover", params, 10000) or {}) do
    if r.result and r.result.contents then result.hover = r.result.contents.value end
  end
  return result
end

-- Whatever happens, write something and quit: a headless editor never hangs the test.
local ok, result = pcall(check)
if not ok then result = { error = tostring(result) } end
local f = io.open(os.getenv("REGEN_NVIM_OUT") or "nvim-check.json", "w")
f:write(vim.fn.json_encode(result))
f:close()
vim.cmd("qa!")
