"""The page's look as a Gradio theme: calm blues on white, system fonts (nothing fetched from outside the machine),
and text colours chosen for contrast of at least 4.5:1 (WCAG AA) on their backgrounds, light and dark.

`theme_css()` is the theme as a style sheet, put in the page's own header too, so the look holds however the page
is served (launched with `theme=`, or mounted in the HTTP API's app)."""

from __future__ import annotations

import gradio as gr

SYSTEM_FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Noto Sans", "Helvetica Neue", "Arial",
                "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]


def page_theme() -> gr.themes.Base:
    """The advisor's theme (a new object each call: Gradio themes are mutable)."""
    base = gr.themes.Base(primary_hue=gr.themes.colors.blue, secondary_hue=gr.themes.colors.indigo,
                          neutral_hue=gr.themes.colors.slate, radius_size=gr.themes.sizes.radius_md,
                          spacing_size=gr.themes.sizes.spacing_md, text_size=gr.themes.sizes.text_md,
                          font=SYSTEM_FONTS, font_mono=MONO_FONTS)
    return base.set(
        # text: body 15.6:1, subdued and helper text 7.6:1 on white (dark: 13.5:1 and 9.3:1 on slate-900)
        body_text_color="#0f172a", body_text_color_subdued="#475569",
        body_text_color_dark="#f1f5f9", body_text_color_subdued_dark="#cbd5e1",
        block_info_text_color="#475569", block_info_text_color_dark="#cbd5e1",
        block_label_text_color="#334155", block_label_text_color_dark="#e2e8f0",
        block_title_text_color="#0f172a", block_title_text_color_dark="#f1f5f9",
        input_placeholder_color="#64748b", input_placeholder_color_dark="#94a3b8",
        link_text_color="#1d4ed8", link_text_color_visited="#6d28d9", link_text_color_hover="#1e40af",
        link_text_color_dark="#93c5fd", link_text_color_visited_dark="#c4b5fd", link_text_color_hover_dark="#bfdbfe",
        # buttons: white on blue-700 6.7:1; the secondary one dark blue on a pale blue 11:1
        button_primary_background_fill="#1d4ed8", button_primary_background_fill_hover="#1e40af",
        button_primary_text_color="#ffffff", button_primary_border_color="#1d4ed8",
        button_primary_background_fill_dark="#2563eb", button_primary_background_fill_hover_dark="#1d4ed8",
        button_primary_text_color_dark="#ffffff",
        button_secondary_background_fill="#eff6ff", button_secondary_background_fill_hover="#dbeafe",
        button_secondary_text_color="#1e3a8a", button_secondary_border_color="#bfdbfe",
        button_secondary_background_fill_dark="#1e293b", button_secondary_text_color_dark="#e2e8f0",
        button_large_radius="*radius_lg", button_small_radius="*radius_md",
        slider_color="#1d4ed8", slider_color_dark="#60a5fa",
        checkbox_background_color_selected="#1d4ed8", checkbox_border_color_selected="#1d4ed8",
        color_accent="#1d4ed8", color_accent_soft="#e0e7ff", color_accent_soft_dark="#1e3a8a",
        block_border_width="1px", block_shadow="none", background_fill_secondary="#f8fafc",
    )


def theme_css() -> str:
    """The theme's CSS variables, to travel in the page itself (see the module's docstring)."""
    css = getattr(page_theme(), "_get_theme_css", None)  # Gradio's own rendering of a theme; absent: no copy
    return css() if callable(css) else ""
