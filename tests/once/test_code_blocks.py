"""The class Material gives a code block with line spans is in the built page already."""

from guide.site.code_blocks import CLASS, mark_line_spans


def test_a_code_block_with_line_spans_gets_the_class():
    html = '<pre><span></span><code><span id="__span-0-1"><a id="__codelineno-0-1"></a>x\n'
    assert mark_line_spans(html) == html.replace("<code>", f'<code class="{CLASS}">')


def test_other_code_is_left_alone():
    html = '<p><code>x</code></p><pre class="mermaid"><code>graph LR</code></pre>'
    assert mark_line_spans(html) == html
