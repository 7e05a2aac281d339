"""The sprite sheets behind the maps' hover thumbnails (ui/latent_map.py): a registered image set's test images,
SPRITE_PAGE to a sheet, drawn once per process and served by app.py at /genlab/thumbnails/NAME/PAGE.png."""
from __future__ import annotations

import functools

from gen_core.data import load_card_dataset
from gen_core.errors import GenLabError
from gen_core.render import SPRITE_PAGE, SPRITE_SETS, sprite_png


@functools.lru_cache(maxsize=32)
def sheet(name: str, page: int) -> bytes:
    """PNG bytes of test images [page * SPRITE_PAGE, (page + 1) * SPRITE_PAGE) of the set `name`. Only the names of
    SPRITE_SETS are served (a URL never names a folder); a page past the end raises KeyError, like an unknown name."""
    if name not in SPRITE_SETS:
        raise KeyError(name)
    try:
        dataset = load_card_dataset(name)
    except GenLabError as error:
        raise KeyError(name) from error
    images = dataset.x_test[page * SPRITE_PAGE:(page + 1) * SPRITE_PAGE]
    if page < 0 or len(images) == 0:
        raise KeyError(page)
    return sprite_png(images)
