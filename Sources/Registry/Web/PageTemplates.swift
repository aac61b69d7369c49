/// The pages' Mustache templates. Every page fills the `main` block of `layout`; `{{x}}` escapes
/// HTML (`<`, `>`, `&`, `"`, `'`), and no template uses the unescaped forms, so a name, tag,
/// label or annotation is always shown as text. No inline script or style: the
/// Content-Security-Policy forbids both.
enum PageTemplates {
    static let all: [String: String] = [
        "layout": layout, "pager": pager, "packages": packages, "package": package, "version": version,
        "settings": settings, "deleted": deleted, "signin": signIn, "tokens": tokens, "organisations": organisations,
        "organisation": organisation, "admin": admin, "error": error,
    ]

    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Stowage</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/-/static/style.css?v={{chrome.styleVersion}}">
        <script src="/-/static/app.js?v={{chrome.scriptVersion}}" defer></script>
        </head>
        <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="site">
        <a class="brand" href="/">Stowage</a>
        <nav aria-label="Site">
        <ul>
        <li><a href="/-/packages">Packages</a></li>
        {{#chrome.user}}<li><a href="/-/packages?owner={{chrome.user}}">Your packages</a></li>{{/chrome.user}}
        {{#chrome.manages}}<li><a href="/-/deleted">Deleted</a></li>{{/chrome.manages}}
        {{#chrome.user}}<li><a href="/-/tokens">Tokens</a></li><li><a href="/-/orgs">Organisations</a></li>{{/chrome.user}}
        {{#chrome.isAdmin}}<li><a href="/-/admin">Administration</a></li>{{/chrome.isAdmin}}
        {{#chrome.user}}<li><form method="post" action="/-/signout"><input type="hidden" name="_csrf" value="{{chrome.csrf}}"><button class="link" type="submit" id="sign-out">Sign out {{chrome.user}}</button></form></li>{{/chrome.user}}
        {{#chrome.signIn}}<li><a href="/-/signin" id="sign-in">Sign in</a></li>{{/chrome.signIn}}
        </ul>
        </nav>
        </header>
        <main id="main">
        {{#chrome.notice}}<p class="notice" role="status">{{chrome.notice}}</p>{{/chrome.notice}}
        {{$main}}{{/main}}
        </main>
        <footer>Stowage container registry</footer>
        </body>
        </html>
        """

    static let pager = """
        {{#pager}}<nav class="pages" aria-label="Pages">
        {{#previous}}<a href="{{previous}}" rel="prev">Previous</a>{{/previous}}
        <span>Page {{number}} of {{count}}</span>
        {{#next}}<a href="{{next}}" rel="next">Next</a>{{/next}}
        </nav>{{/pager}}
        """

    static let packages = """
        {{<layout}}{{$main}}{{#page}}
        <h1>{{heading}}</h1>
        {{#organisation}}<p><a href="/-/orgs/{{owner}}">Members of {{owner}}</a></p>{{/organisation}}
        <form class="filters" role="search" method="get" action="/-/packages">
        {{#owner}}<input type="hidden" name="owner" value="{{owner}}">{{/owner}}
        <label class="inline" for="q">Find a package</label>
        <input type="search" id="q" name="q" value="{{query}}">
        <button type="submit">Filter</button>
        </form>
        <p class="muted">{{countText}}</p>
        <div class="box" id="packages">
        {{#packages}}<div class="row">
        <a class="title" href="/-/packages/{{name}}">{{name}}</a> <span class="chip{{#isPublic}} public{{/isPublic}}">{{visibility}}</span>
        <div class="meta"><span>{{versions}}</span><span>{{size}}</span><span>{{published}}</span><span>{{pulls}}</span></div>
        </div>{{/packages}}
        {{^packages}}<div class="row muted">No packages to show.</div>{{/packages}}
        </div>
        {{> pager}}
        {{/page}}{{/main}}{{/layout}}
        """

    static let package = """
        {{<layout}}{{$main}}{{#page}}
        <h1>{{name}}</h1>
        <p><span class="chip{{#isPublic}} public{{/isPublic}}">{{visibility}}</span> {{description}}</p>
        <div class="layout">
        <div>
        <h2 id="install">Install from the command line</h2>
        <div class="copy"><pre id="pull-command">{{pullCommand}}</pre><button type="button" data-copy="pull-command" id="copy-pull">Copy</button></div>
        <p id="pull-command-status" class="muted" role="status" aria-live="polite"></p>
        {{^empty(recentTags)}}<h2 id="tags">Recent tags</h2>{{/empty(recentTags)}}
        <p>{{#recentTags}}<a class="chip" href="/-/packages/{{name}}/-/versions/{{digest}}">{{tag}}</a>{{/recentTags}}</p>
        <h2 id="versions">Versions</h2>
        <nav class="filters" aria-label="Filter versions">
        {{#filters}}<a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a>{{/filters}}
        </nav>
        <div class="box" id="version-list">
        {{#versions}}<div class="row">
        <a class="title mono" href="/-/packages/{{name}}/-/versions/{{digest}}">{{shortDigest}}</a>
        {{#tags}}<span class="chip">{{.}}</span>{{/tags}}
        <div class="meta"><span>{{size}}</span><span>{{pushed}}</span>{{#platforms}}<span>{{platforms}}</span>{{/platforms}}{{#artifactType}}<span>{{artifactType}}</span>{{/artifactType}}<span>{{pulls}}</span></div>
        </div>{{/versions}}
        {{^versions}}<div class="row muted">No versions to show.</div>{{/versions}}
        </div>
        {{> pager}}
        </div>
        <aside aria-label="About this package">
        <dl>
        <dt>Owner</dt><dd><a href="/-/packages?owner={{owner}}">{{owner}}</a></dd>
        <dt>Total size</dt><dd>{{size}}</dd>
        <dt>Versions</dt><dd>{{versionCount}}</dd>
        <dt>Total pulls</dt><dd>{{pulls}}</dd>
        <dt>Last published</dt><dd>{{published}}</dd>
        {{#source}}<dt>Source</dt><dd>{{#sourceLink}}<a href="{{sourceLink}}" rel="nofollow noopener">{{source}}</a>{{/sourceLink}}{{^sourceLink}}{{source}}{{/sourceLink}}</dd>{{/source}}
        </dl>
        {{#mayManage}}<p><a class="button" href="/-/packages/{{name}}/-/settings" id="package-settings">Package settings</a></p>{{/mayManage}}
        </aside>
        </div>
        {{/page}}{{/main}}{{/layout}}
        """

    static let version = """
        {{<layout}}{{$main}}{{#page}}
        <h1><a href="/-/packages/{{name}}">{{name}}</a></h1>
        <p class="mono">{{digest}}</p>
        <p>{{#tags}}<span class="chip">{{.}}</span>{{/tags}}</p>
        <h2>Install from the command line</h2>
        <div class="copy"><pre id="pull-command">{{pullCommand}}</pre><button type="button" data-copy="pull-command" id="copy-pull">Copy</button></div>
        <p id="pull-command-status" class="muted" role="status" aria-live="polite"></p>
        <h2>Details</h2>
        <div class="scroll"><table>
        <tbody>
        {{#details}}<tr><th scope="row">{{key}}</th><td>{{value}}</td></tr>{{/details}}
        </tbody></table></div>
        {{^empty(platforms)}}<h2>Platforms</h2>
        <div class="scroll"><table><thead><tr><th scope="col">Platform</th><th scope="col">Manifest</th><th scope="col" class="num">Size</th></tr></thead><tbody>
        {{#platforms}}<tr><td>{{platform}}</td><td><a class="mono" href="/-/packages/{{name}}/-/versions/{{digest}}">{{shortDigest}}</a></td><td class="num">{{size}}</td></tr>{{/platforms}}
        </tbody></table></div>{{/empty(platforms)}}
        {{^empty(labels)}}<h2>Labels and annotations</h2>
        <div class="scroll"><table><tbody>
        {{#labels}}<tr><th scope="row" class="mono">{{key}}</th><td>{{value}}</td></tr>{{/labels}}
        </tbody></table></div>{{/empty(labels)}}
        {{^empty(layers)}}<h2>Layers</h2>
        <div class="scroll"><table><thead><tr><th scope="col">#</th><th scope="col">Digest</th><th scope="col">Media type</th><th scope="col" class="num">Size</th></tr></thead><tbody>
        {{#layers}}<tr><td>{{position}}</td><td class="mono">{{shortDigest}}</td><td>{{mediaType}}</td><td class="num">{{size}}</td></tr>{{/layers}}
        </tbody></table></div>{{/empty(layers)}}
        <h2>Referrers</h2>
        {{^empty(referrers)}}<div class="scroll"><table><thead><tr><th scope="col">Artifact type</th><th scope="col">Manifest</th><th scope="col">Pushed</th></tr></thead><tbody>
        {{#referrers}}<tr><td>{{artifactType}}</td><td><a class="mono" href="/-/packages/{{name}}/-/versions/{{digest}}">{{shortDigest}}</a></td><td>{{pushed}}</td></tr>{{/referrers}}
        </tbody></table></div>{{/empty(referrers)}}
        {{^referrers}}<p class="muted">No signatures, SBOMs or attestations refer to this version.</p>{{/referrers}}
        {{#mayDelete}}<h2>Danger zone</h2>
        <form method="post" action="/-/packages/{{name}}/-/versions/{{digest}}/delete" class="box danger-zone"><div class="row">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <p>Deleting a version hides it at once; it can be restored from Deleted for {{restoreWindow}}.</p>
        <button type="submit" class="danger" id="delete-version">Delete this version</button>
        </div></form>{{/mayDelete}}
        {{/page}}{{/main}}{{/layout}}
        """

    static let settings = """
        {{<layout}}{{$main}}{{#page}}
        <h1>Settings of <a href="/-/packages/{{name}}">{{name}}</a></h1>
        <h2>Visibility</h2>
        <form method="post" action="/-/packages/{{name}}/-/visibility">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <fieldset class="box"><legend>Who may pull this package</legend><div class="row">
        <label class="inline"><input type="radio" name="visibility" value="public"{{#isPublic}} checked{{/isPublic}}> Public: anyone, signed in or not</label>
        <label class="inline"><input type="radio" name="visibility" value="private"{{^isPublic}} checked{{/isPublic}}> Private: its owner, members of its organisation, administrators</label>
        </div></fieldset>
        <p><button type="submit" id="save-visibility">Save visibility</button></p>
        </form>
        <h2>Danger zone</h2>
        <form method="post" action="/-/packages/{{name}}/-/delete" class="box danger-zone"><div class="row">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <p>Deleting the package hides it and all its versions at once; it can be restored from Deleted for {{restoreWindow}}.
        To delete one version, open it from the <a href="/-/packages/{{name}}#versions">list of versions</a>.</p>
        <label for="confirm">Type <code>{{name}}</code> to confirm</label>
        <input type="text" id="confirm" name="confirm" autocomplete="off" data-confirm="{{name}}" required>
        <p><button type="submit" class="danger" id="delete-package">Delete this package</button></p>
        </div></form>
        {{/page}}{{/main}}{{/layout}}
        """

    static let deleted = """
        {{<layout}}{{$main}}{{#page}}
        <h1>Deleted packages and versions{{#owner}} of {{owner}}{{/owner}}</h1>
        <p class="muted">Deleted packages and versions can be restored for {{restoreWindow}}; then garbage collection removes them for good.</p>
        <div class="box" id="deleted-list">
        {{#deletions}}<div class="row">
        <span class="title">{{package}}</span> {{#digest}}<span class="mono">{{shortDigest}}</span>{{/digest}}{{^digest}}<span class="chip">whole package</span>{{/digest}}
        <div class="meta"><span>{{deleted}}</span>{{#reason}}<span>{{reason}}</span>{{/reason}}</div>
        {{#restorable}}<form method="post" action="/-/deleted/restore">
        <input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="package" value="{{package}}">
        {{#digest}}<input type="hidden" name="digest" value="{{digest}}">{{/digest}}
        <button type="submit" aria-label="Restore {{package}} {{shortDigest}}">Restore</button>
        </form>{{/restorable}}
        </div>{{/deletions}}
        {{^deletions}}<div class="row muted">Nothing deleted that you may restore.</div>{{/deletions}}
        </div>
        {{/page}}{{/main}}{{/layout}}
        """

    static let signIn = """
        {{<layout}}{{$main}}{{#page}}
        <h1>Sign in to Stowage</h1>
        {{#failure}}<p class="error" role="alert">{{failure}}</p>{{/failure}}
        <form method="post" action="/-/signin">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <input type="hidden" name="next" value="{{next}}">
        <label for="user">User name</label>
        <input type="text" id="user" name="user" autocomplete="username" autocapitalize="none" required value="{{user}}">
        <label for="token">Personal access token</label>
        <input type="password" id="token" name="token" autocomplete="current-password" required>
        <p class="muted">The token you log in with on <code>docker login</code>. A read-only token gives a read-only session.</p>
        <p><button type="submit" class="primary" id="sign-in-submit">Sign in</button></p>
        </form>
        {{/page}}{{/main}}{{/layout}}
        """

    static let tokens = """
        {{<layout}}{{$main}}{{#page}}
        <h1>Personal access tokens</h1>
        {{#created}}<div class="secret" role="alert">
        <p><strong>Your new token.</strong> Copy it now: it is not shown again.</p>
        <div class="copy"><pre id="new-token">{{token}}</pre><button type="button" data-copy="new-token" id="copy-token">Copy</button></div>
        <p id="new-token-status" class="muted" role="status" aria-live="polite"></p>
        <p class="muted">Log in with <code>docker login {{host}} -u {{user}}</code> and paste the token as the password.</p>
        </div>{{/created}}
        <h2>Generate a new token</h2>
        <form method="post" action="/-/tokens">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <label for="description">Note</label>
        <input type="text" id="description" name="description" maxlength="200" placeholder="What is this token for?">
        <fieldset class="box"><legend>Scopes</legend><div class="row">
        {{#scopes}}<label class="inline"><input type="checkbox" name="scope" value="{{name}}"{{^allowed}} disabled{{/allowed}}> <code>{{name}}</code> {{text}}</label>{{/scopes}}
        </div></fieldset>
        <label for="expiry">Expiration</label>
        <select id="expiry" name="expiry">
        <option value="7">7 days</option><option value="30" selected>30 days</option><option value="90">90 days</option>
        <option value="365">A year</option><option value="never">No expiration</option>
        </select>
        <p><button type="submit" class="primary" id="generate-token">Generate token</button></p>
        </form>
        <h2>Your tokens</h2>
        <div class="scroll"><table id="token-list"><thead><tr><th scope="col">Note</th><th scope="col">Id</th><th scope="col">Scopes</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody>
        {{#list}}<tr><td>{{description}}</td><td class="mono">{{id}}</td><td>{{scopes}}</td><td>{{expires}}</td><td>{{lastUsed}}</td><td>{{state}}{{#current}} (this session){{/current}}</td>
        <td>{{#active}}<form method="post" action="/-/tokens/{{id}}/revoke"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit" class="danger" aria-label="Revoke token {{id}}">Revoke</button></form>{{/active}}</td></tr>{{/list}}
        </tbody></table></div>
        {{/page}}{{/main}}{{/layout}}
        """

    static let organisations = """
        {{<layout}}{{$main}}{{#page}}
        <h1>Organisations</h1>
        <div class="box">
        {{#list}}<div class="row"><a class="title" href="/-/orgs/{{name}}">{{name}}</a> <span class="chip">{{role}}</span>
        <div class="meta"><a href="/-/packages?owner={{name}}">Packages</a></div></div>{{/list}}
        {{^list}}<div class="row muted">You are not a member of any organisation.</div>{{/list}}
        </div>
        {{/page}}{{/main}}{{/layout}}
        """

    static let organisation = """
        {{<layout}}{{$main}}{{#page}}
        <h1>Members of {{name}}</h1>
        <p><a href="/-/packages?owner={{name}}">Packages of {{name}}</a></p>
        <div class="scroll"><table id="members"><thead><tr><th scope="col">User</th><th scope="col">Role</th>{{#mayManage}}<th scope="col"><span class="visually-hidden">Actions</span></th>{{/mayManage}}</tr></thead><tbody>
        {{#members}}<tr><td>{{user}}</td><td>{{#mayManage}}<form method="post" action="/-/orgs/{{name}}/members" class="filters">
        <input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="user" value="{{user}}">
        <select name="role" aria-label="Role of {{user}}">{{#roles}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/roles}}</select>
        <button type="submit">Change</button></form>{{/mayManage}}{{^mayManage}}{{role}}{{/mayManage}}</td>
        {{#mayManage}}<td><form method="post" action="/-/orgs/{{name}}/members"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="user" value="{{user}}"><input type="hidden" name="role" value="none">
        <button type="submit" class="danger" aria-label="Remove {{user}}">Remove</button></form></td>{{/mayManage}}</tr>{{/members}}
        </tbody></table></div>
        {{#mayManage}}<h2>Add a member</h2>
        <form method="post" action="/-/orgs/{{name}}/members" class="filters">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <label class="inline" for="new-member">User</label><input type="text" id="new-member" name="user" required>
        <label class="inline" for="new-role">Role</label><select id="new-role" name="role"><option>read</option><option>write</option><option>admin</option></select>
        <button type="submit">Add</button>
        </form>{{/mayManage}}
        {{/page}}{{/main}}{{/layout}}
        """

    static let admin = """
        {{<layout}}{{$main}}{{#page}}
        <h1>Administration</h1>
        <h2>Storage</h2>
        <p>{{storedText}}</p>
        <div class="scroll"><table id="storage"><thead><tr><th scope="col">Owner</th><th scope="col" class="num">Linked bytes</th></tr></thead><tbody>
        {{#owners}}<tr><td><a href="/-/packages?owner={{owner}}">{{owner}}</a></td><td class="num">{{bytes}}</td></tr>{{/owners}}
        </tbody></table></div>
        <h2>Garbage collection</h2>
        <form method="post" action="/-/admin/gc" class="filters">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <button type="submit" name="mode" value="preview" id="gc-preview">Preview (dry run)</button>
        <button type="submit" name="mode" value="run" class="danger" id="gc-run">Collect now</button>
        </form>
        {{#preview}}<div class="box" id="gc-preview-report"><div class="row"><strong>Preview: a run now would leave</strong>
        <ul>{{#lines}}<li>{{.}}</li>{{/lines}}</ul>
        {{^empty(reclaimable)}}<table><thead><tr><th scope="col">Package</th><th scope="col" class="num">Blobs</th><th scope="col" class="num">Bytes</th></tr></thead><tbody>
        {{#reclaimable}}<tr><td>{{package}}</td><td class="num">{{blobs}}</td><td class="num">{{bytes}}</td></tr>{{/reclaimable}}
        </tbody></table>{{/empty(reclaimable)}}
        </div></div>{{/preview}}
        <h3>Last runs</h3>
        <div class="scroll"><table id="gc-runs"><thead><tr><th scope="col">Started</th><th scope="col" class="num">Took</th><th scope="col">Result</th></tr></thead><tbody>
        {{#runs}}<tr><td>{{started}}</td><td class="num">{{took}}</td><td>{{result}}</td></tr>{{/runs}}
        {{^runs}}<tr><td colspan="3" class="muted">No run yet.</td></tr>{{/runs}}
        </tbody></table></div>
        {{/page}}{{/main}}{{/layout}}
        """

    static let error = """
        {{<layout}}{{$main}}{{#page}}
        <h1>{{heading}}</h1>
        <p class="error" role="alert">{{message}}</p>
        <p><a href="/">Back to the packages</a></p>
        {{/page}}{{/main}}{{/layout}}
        """
}
