-- Plat for Neovim (0.8+): the .plat file type and the built-in LSP client on `platc lsp`.
-- Copy to ~/.config/nvim/plugin/plat.lua, or dofile() it from init.lua.  The server is
-- found on PATH; set vim.g.plat_server = { "/path/to/platc", "lsp" } to use another one
-- (add "--log", "/tmp/plat-lsp.log" to trace every message).  See docs/lsp.md.
vim.filetype.add({ extension = { plat = "plat" } })

vim.api.nvim_create_autocmd("FileType", {
  pattern = "plat",
  callback = function(args)
    vim.bo[args.buf].commentstring = "// %s"
    local root = vim.fs.dirname(vim.fs.find({ ".git", "plat.toml" }, {
      upward = true,
      path = vim.fs.dirname(vim.api.nvim_buf_get_name(args.buf)),
    })[1])
    vim.lsp.start({
      name = "platc",
      cmd = vim.g.plat_server or { "platc", "lsp" },
      root_dir = root or vim.fn.getcwd(),
    }, { bufnr = args.buf })
  end,
})
