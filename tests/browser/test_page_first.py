"""The live plot comes first: a page shows its first point before its controls, History and
statistics are built (``runtime.later``), says so meanwhile, and is whole soon after."""

from __future__ import annotations

import pytest

from .conftest import PAGE_WHOLE

pytestmark = pytest.mark.browser

#: Records, from the page's first script on, when the path shows its first point, what the
#: page says meanwhile, and when its later parts are there.
WATCH = """
window.progress = {};
const watch = setInterval(() => {
  const doc = window.Bokeh && Bokeh.documents[0];
  if (!doc) return;
  const p = window.progress;
  const path = doc.get_model_by_name('path');
  const now = performance.now();
  if (path && path.get_length() > 0 && p.point === undefined) {
    p.point = now;
    for (const name of ['controls-to-come', 'plots-to-come']) {
      const said = doc.get_model_by_name(name);
      p[name] = said ? said.text : null;
    }
    p.history_at_point = doc.get_model_by_name('history-plot') !== null;
    p.slider_at_point = doc.get_model_by_name('live-plot') !== null
      && [...doc.all_models].some((m) => m.type === 'Slider');
  }
  if (doc.get_model_by_name('history-plot') && doc.get_model_by_name('increments-plot')
      && [...doc.all_models].some((m) => m.type === 'Slider') && p.whole === undefined) {
    p.whole = now;
  }
  if (p.point !== undefined && p.whole !== undefined) clearInterval(watch);
}, 2);
"""


def test_first_point_comes_before_the_rest_which_the_page_announces(served_app, open_page,
                                                                   browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        context.add_init_script(WATCH)
        page = context.new_page()
        page.goto(served_app.url)
        page.wait_for_function("() => window.progress && window.progress.whole !== undefined"
                               " && window.progress.point !== undefined", timeout=20_000)
        progress = page.evaluate("window.progress")
        assert progress["point"] <= progress["whole"], progress
        assert not progress["history_at_point"] and not progress["slider_at_point"], progress
        assert "controls follow in a moment" in progress["controls-to-come"], progress
        assert "History and the statistics follow" in progress["plots-to-come"], progress
        page.wait_for_function(PAGE_WHOLE)
        # Whole: the announcements are gone, every part works.
        page.get_by_role("button", name="Pause").click()
        page.get_by_role("button", name="Resume").wait_for()
        page.get_by_text("Run settings").wait_for()
        page.wait_for_function("""() => {
            const doc = Bokeh.documents[0];
            const history = doc.get_model_by_name('history');
            const path = doc.get_model_by_name('path');
            return history.get_length() > 0
                && doc.get_model_by_name('variance-estimate').text.includes('n =');
        }""")
    finally:
        context.close()
