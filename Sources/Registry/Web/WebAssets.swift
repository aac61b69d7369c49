import Crypto
import Foundation

/// The pages' stylesheet and script, compiled into the binary: nothing to install beside it, no
/// CDN. Served under `/-/static/NAME?v=VERSION` with a long cache life; the version is a hash of
/// the content, so a new build's pages fetch the new file.
enum WebAssets {
    struct Asset: Sendable {
        let contentType: String
        let bytes: [UInt8]
        let version: String

        init(_ contentType: String, _ text: String) {
            self.contentType = contentType
            bytes = Array(text.utf8)
            version = String(PersonalAccessToken.hex(Array(SHA256.hash(data: bytes))).prefix(12))
        }
    }

    static let all: [String: Asset] = [
        "style.css": Asset("text/css; charset=utf-8", stylesheet),
        "app.js": Asset("text/javascript; charset=utf-8", script),
    ]

    /// Light and dark colour schemes by `prefers-color-scheme`; one column below 700 px.
    static let stylesheet = """
        :root {
          color-scheme: light dark;
          --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --border: #d1d9e0; --subtle: #f6f8fa;
          --accent: #0969da; --accent-fg: #ffffff; --danger: #d1242f; --ok: #1a7f37; --focus: #0969da;
          --code: #eff2f5;
        }
        @media (prefers-color-scheme: dark) {
          :root {
            --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --border: #3d444d; --subtle: #151b23;
            --accent: #4493f8; --accent-fg: #0d1117; --danger: #f85149; --ok: #3fb950; --focus: #4493f8;
            --code: #1f2630;
          }
        }
        * { box-sizing: border-box; }
        html { -webkit-text-size-adjust: 100%; }
        body { margin: 0; background: var(--bg); color: var(--fg);
          font: 15px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
        a { color: var(--accent); text-decoration: none; }
        a:hover { text-decoration: underline; }
        :focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
        .skip { position: absolute; left: -9999px; }
        .skip:focus { left: 8px; top: 8px; background: var(--bg); padding: 4px 8px; z-index: 10; }
        .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
        header.site { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; padding: 10px 16px;
          border-bottom: 1px solid var(--border); background: var(--subtle); }
        header.site .brand { font-weight: 600; color: var(--fg); font-size: 17px; margin-right: auto; }
        header.site nav ul { display: flex; flex-wrap: wrap; gap: 4px 14px; list-style: none; margin: 0; padding: 0; align-items: center; }
        header.site form { display: inline; margin: 0; }
        main { max-width: 1080px; margin: 0 auto; padding: 16px; }
        h1 { font-size: 24px; margin: 8px 0 4px; word-break: break-all; }
        h2 { font-size: 18px; margin: 24px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--border); }
        .muted { color: var(--muted); }
        .layout { display: grid; grid-template-columns: minmax(0, 1fr) 280px; gap: 24px; }
        @media (max-width: 700px) { .layout { grid-template-columns: minmax(0, 1fr); } }
        .box { border: 1px solid var(--border); border-radius: 6px; }
        .box > .row { padding: 10px 14px; border-top: 1px solid var(--border); }
        .box > .row:first-child { border-top: 0; }
        .row .title { font-weight: 600; word-break: break-all; }
        .row .meta { color: var(--muted); font-size: 13px; display: flex; flex-wrap: wrap; gap: 2px 14px; }
        .chip { display: inline-block; border: 1px solid var(--border); border-radius: 2em; padding: 0 8px; font-size: 12px;
          margin: 2px 4px 2px 0; background: var(--subtle); }
        .chip.public { color: var(--ok); border-color: var(--ok); }
        code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
        code { background: var(--code); padding: 1px 4px; border-radius: 4px; word-break: break-all; }
        pre { background: var(--code); padding: 10px; border-radius: 6px; overflow-x: auto; margin: 0; }
        .copy { display: flex; gap: 8px; align-items: stretch; }
        .copy pre { flex: 1; white-space: pre-wrap; word-break: break-all; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--border); vertical-align: top; }
        td.num, th.num { text-align: right; white-space: nowrap; }
        .scroll { overflow-x: auto; }
        label { display: block; font-weight: 600; margin: 10px 0 4px; }
        label.inline { display: inline-flex; gap: 6px; font-weight: normal; margin: 4px 14px 4px 0; align-items: center; }
        input[type=text], input[type=password], input[type=search], input[type=date], select {
          font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--border); border-radius: 6px;
          padding: 5px 10px; max-width: 100%; }
        input[type=text], input[type=password] { width: 420px; }
        button, .button { font: inherit; font-weight: 600; border: 1px solid var(--border); border-radius: 6px; padding: 5px 14px;
          background: var(--subtle); color: var(--fg); cursor: pointer; display: inline-block; }
        button.primary { background: var(--accent); color: var(--accent-fg); border-color: var(--accent); }
        button.danger { color: var(--danger); }
        button.danger:hover:enabled { background: var(--danger); color: #fff; }
        button:disabled { opacity: .5; cursor: not-allowed; }
        button.link { background: none; border: 0; padding: 0; color: var(--accent); font-weight: normal; }
        .danger-zone { border-color: var(--danger); }
        .notice { border: 1px solid var(--ok); border-radius: 6px; padding: 8px 12px; margin: 10px 0; }
        .error { border: 1px solid var(--danger); border-radius: 6px; padding: 8px 12px; margin: 10px 0; }
        .secret { border: 1px solid var(--ok); border-radius: 6px; padding: 10px 14px; margin: 10px 0; }
        .filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 8px 0; }
        .filters a[aria-current] { font-weight: 700; color: var(--fg); }
        nav.pages { display: flex; gap: 16px; justify-content: center; margin: 14px 0; }
        aside dl { margin: 0; }
        aside dt { color: var(--muted); font-size: 13px; margin-top: 10px; }
        aside dd { margin: 0; word-break: break-all; }
        footer { color: var(--muted); font-size: 12px; text-align: center; padding: 24px; }
        """

    /// Copy buttons (`data-copy="ID"` copies the text of #ID) and confirmations by typing
    /// (`data-confirm="TEXT"` on an input enables its form's submit button once it holds TEXT).
    static let script = """
        "use strict";
        document.addEventListener("click", async (event) => {
          const button = event.target.closest("button[data-copy]");
          if (!button) return;
          const text = document.getElementById(button.dataset.copy).textContent.trim();
          let copied = false;
          try { await navigator.clipboard.writeText(text); copied = true; } catch (error) {
            const area = document.createElement("textarea");
            area.value = text; area.setAttribute("readonly", ""); area.style.position = "fixed"; area.style.opacity = "0";
            document.body.appendChild(area); area.select();
            try { copied = document.execCommand("copy"); } catch (ignored) { copied = false; }
            area.remove();
          }
          button.textContent = copied ? "Copied" : "Select and copy";
          const status = document.getElementById(button.dataset.copy + "-status");
          if (status) status.textContent = copied ? "Copied to the clipboard" : "Could not copy; select the text instead";
        });
        for (const input of document.querySelectorAll("input[data-confirm]")) {
          const submit = input.form.querySelector("button[type=submit]");
          const update = () => { submit.disabled = input.value !== input.dataset.confirm; };
          input.addEventListener("input", update);
          update();
        }
        """
}
