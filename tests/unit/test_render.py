"""gen_core.render's labelled grid: crisp whole pixels, a grey sheet for grey images and an RGB one for colour."""
import numpy as np
import torch

from gen_core import render


def test_a_grey_grid_is_a_grey_sheet_with_each_tile_drawn_in_whole_pixels():
    x = torch.linspace(-1, 1, 2 * 8 * 8).reshape(2, 1, 8, 8)
    sheet = render.labelled_grid(x, ["a", "b"], 2, tile_px=88)
    assert sheet.mode == "L"
    tile = np.asarray(sheet)[6:6 + 88, 6:6 + 88]  # the first tile, after the gap
    expected = render.to_uint8(x[:1])[0, ..., 0].repeat(11, 0).repeat(11, 1)  # 88 = 8 x 11, nearest neighbour
    assert np.array_equal(tile, expected)


def test_real_pictures_are_drawn_at_least_84_px_in_whole_pixels_whatever_size_a_page_asks():
    """A Fashion-MNIST tile asked at 56 or 72 px (pages that fit ten or more in a row) is drawn at 84 = 3 x 28:
    every pixel a 3x3 square, never the uneven 2.57x of 72 px; larger asks round to a whole multiple."""
    x = torch.linspace(-1, 1, 28 * 28).reshape(1, 1, 28, 28)
    for asked, drawn in ((56, 84), (72, 84), (84, 84), (120, 112)):
        sheet = render.labelled_grid(x, [""], 1, tile_px=asked)
        tile = np.asarray(sheet)[6:6 + drawn, 6:6 + drawn]
        factor = drawn // 28
        assert np.array_equal(tile, render.to_uint8(x)[0, ..., 0].repeat(factor, 0).repeat(factor, 1)), asked
        assert np.asarray(sheet)[6 + drawn + 1, 6] == 255  # the white sheet right under the tile: no larger


def test_a_colour_grid_stays_rgb():
    x = torch.zeros(1, 3, 8, 8)
    x[:, 0] = 1.0  # red
    sheet = render.labelled_grid(x, ["red"], 1, tile_px=88, outline=True)
    assert sheet.mode == "RGB"
    assert tuple(np.asarray(sheet)[10, 10]) == tuple(render.to_uint8(x)[0, 0, 0])  # (255, 128, 128): still red


def test_png_bytes_read_back_as_the_same_picture():
    from io import BytesIO

    from PIL import Image

    sheet = render.labelled_grid(torch.rand(4, 1, 8, 8) * 2 - 1, ["1", "2", "3", "4"], 2)
    back = Image.open(BytesIO(render.png_bytes(sheet)))
    assert back.mode == "L" and np.array_equal(np.asarray(back), np.asarray(sheet))
