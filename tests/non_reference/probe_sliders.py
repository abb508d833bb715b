# Appended to each chapter by tests/test_non_reference_run.py and run in its kernel after the
# last cell: move every slider the chapter made, as a reader would, and check what it redraws.
# Each move is made twice (to a neighbouring value, then back): both must draw something, the
# two drawings must differ, and nothing may show a traceback. Prints one JSON line.
def _probe_sliders():
    import json
    import sys
    import time

    import ipywidgets
    from IPython import get_ipython
    from IPython.utils.capture import capture_output

    registry = getattr(ipywidgets.widgets.widget, "_instances", None)  # ipywidgets 8
    if registry is None:
        registry = ipywidgets.Widget.widgets  # ipywidgets 7
    sliders = [w for w in list(registry.values())
               if isinstance(w, (ipywidgets.IntSlider, ipywidgets.FloatSlider))]
    shell, errors = get_ipython(), []
    show_traceback = shell.showtraceback

    def record_traceback(*args, **kwargs):  # an Output widget shows a callback's error this way
        errors.append(repr(args[0][1]) if args and args[0] else repr(sys.exc_info()[1]))
        return show_traceback(*args, **kwargs)

    def drawn(value, slider):
        with capture_output() as captured:
            start = time.perf_counter()
            slider.value = value
            seconds = time.perf_counter() - start
        shown = [o.data.get("image/png") or o.data.get("text/plain") for o in captured.outputs]
        return shown + [captured.stdout], seconds

    report = []
    shell.showtraceback = record_traceback
    try:
        for slider in sliders:
            start_value, step = slider.value, slider.step
            other = start_value + step if start_value + step <= slider.max else start_value - step
            moved, seconds = drawn(other, slider)
            back, _ = drawn(start_value, slider)
            report.append({"slider": slider.description, "from": start_value, "to": other,
                           "seconds": round(seconds, 3), "changed": moved != back,
                           "drew": any(moved) and any(back)})
    finally:
        shell.showtraceback = show_traceback
    print("SLIDER-PROBE " + json.dumps({"sliders": report, "errors": errors}))


_probe_sliders()
