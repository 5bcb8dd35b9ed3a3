"""Attacks posted as tips, answers and names. Each payload, if it ever ran, would set
``window.__xss`` or open a dialog; tests check that neither happens and that nothing unsafe
reaches the HTML."""

from __future__ import annotations

PAYLOADS: list[str] = [
    # script tags, plain and disguised
    "<script>window.__xss=1;alert(1)</script>",
    "<ScRiPt>window.__xss=1</ScRiPt>",
    "<scr<script>ipt>window.__xss=1</scr</script>ipt>",
    # event handlers
    '<img src=x onerror="window.__xss=1;alert(1)">',
    "<body onload=window.__xss=1>",
    '<details open ontoggle="window.__xss=1">x</details>',
    '<a href="https://ok.example" onmouseover="window.__xss=1">hover</a>',
    '<input autofocus onfocus="window.__xss=1">',
    # javascript: links, Markdown and HTML, with case, whitespace and entity tricks
    "[click](javascript:window.__xss=1)",
    "[click](JaVaScRiPt:window.__xss=1)",
    "[click](java&#x09;script:window.__xss=1)",
    "[click](&#106;avascript:window.__xss=1)",
    "[click](javascript&colon;window.__xss=1)",
    "[click]( javascript:window.__xss=1 )",
    "[ref][1]\n\n[1]: javascript:window.__xss=1",
    "<javascript:window.__xss=1>",
    '<a href="&#x6A;avascript:window.__xss=1">entity</a>',
    "[vb](vbscript:msgbox(1)) [file](file:///etc/passwd)",
    '[title](https://ok.example "onmouseover=window.__xss=1")',
    # SVG and MathML
    '<svg onload="window.__xss=1"><script>window.__xss=1</script></svg>',
    '<svg><a xlink:href="javascript:window.__xss=1"><text y="20">svg link</text></a></svg>',
    '<math><mtext><table><mglyph><style><img src=x onerror="window.__xss=1">',
    "![svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9ImFsZXJ0KDEpIi8+)",
    # CSS tricks: style attributes and tags, an overlay, expression(), url(javascript:)
    '<div style="background:url(javascript:window.__xss=1)">css</div>',
    '<style>body{background:url("javascript:window.__xss=1")}</style>',
    '<a href="https://ok.example" style="position:fixed;top:0;left:0;width:100%;height:100%">overlay</a>',
    '<p style="width:expression(window.__xss=1)">ie</p>',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    # data: URLs
    "[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)",
    '<a href="data:text/html,<script>window.__xss=1</script>">data link</a>',
    '<iframe src="data:text/html,<script>parent.__xss=1</script>"></iframe>',
    # entity tricks
    "&lt;script&gt;window.__xss=1&lt;/script&gt;",
    "&#60;img src=x onerror=window.__xss=1&#62;",
    # embedding and markup in link text
    '<object data="javascript:window.__xss=1"></object><embed src="javascript:window.__xss=1">',
    "[<img src=x onerror=window.__xss=1>](https://ok.example)",
    '<form action="javascript:window.__xss=1"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=1">',
    "<!--><img src=x onerror=window.__xss=1>-->",
    "```\n</code></pre><script>window.__xss=1</script>\n```",
]

NAMES: list[str] = [
    '<img src=x onerror="window.__xss=1">',
    "<script>window.__xss=1</script>",
    '"><svg onload=window.__xss=1>',
]
