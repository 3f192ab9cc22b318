-- regen for Neovim: `.regen` files get their filetype and `regen lsp` attached.
-- Put this file on your runtimepath (e.g. ~/.config/nvim/plugin/regen.lua) or
-- `dofile()` it from init.lua. `regen` must be on PATH (or set vim.g.regen_cmd).
if vim.filetype and vim.filetype.add then
  vim.filetype.add({ extension = { regen = "regen" } })
end
-- Neovim 0.7 detects filetypes with Lua only when asked; this works everywhere.
vim.api.nvim_create_autocmd({ "BufRead", "BufNewFile" }, {
  pattern = "*.regen",
  callback = function() vim.bo.filetype = "regen" end,
})

local function root_of(path)
  local found = vim.fs and vim.fs.find and vim.fs.find({ ".git", "stdlib" }, { upward = true, path = vim.fs.dirname(path) })[1]
  return found and vim.fs.dirname(found) or vim.fn.fnamemodify(path, ":p:h")
end

local function attach(args)
  local config = {
    name = "regen",
    cmd = { vim.g.regen_cmd or "regen", "lsp" },
    root_dir = root_of(vim.api.nvim_buf_get_name(args.buf)),
  }
  if vim.lsp.start then
    vim.lsp.start(config, { bufnr = args.buf }) -- Neovim 0.8 and later
  else
    -- Neovim 0.7: start one client and attach it to every regen buffer.
    vim.g.regen_client = vim.g.regen_client or vim.lsp.start_client(config)
    vim.lsp.buf_attach_client(args.buf, vim.g.regen_client)
  end
end

vim.api.nvim_create_autocmd("FileType", { pattern = "regen", callback = attach })

-- Comments start with `#`.
vim.api.nvim_create_autocmd("FileType", {
  pattern = "regen",
  callback = function() vim.bo.commentstring = "# %s" end,
})
