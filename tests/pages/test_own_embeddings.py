"""Your own embeddings: files checked, stored by content, searched, neighbours in the original space, and the
page's view restored from a link."""
import io

import numpy as np
import pytest

from gen_core import own_embeddings as O
from gen_core.errors import GenLabError
from tests.apptest import open_app


def npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_neighbours_known_answers():
    vectors = np.array([[1, 0], [0.9, 0.1], [10, 0.5], [0, 1], [-1, 0]], dtype=np.float32)
    order, distance = O.neighbours(vectors, 0, 2, "cosine")  # by angle: [10, 0.5] is nearly parallel to [1, 0]
    assert list(order) == [2, 1] and distance[0] == pytest.approx(1 - 10 / np.hypot(10, 0.5))
    order, distance = O.neighbours(vectors, 0, 2, "euclidean")  # by length of the difference
    assert list(order) == [1, 3] and distance[0] == pytest.approx(np.hypot(0.1, 0.1), rel=1e-5)
    assert 0 not in O.neighbours(vectors, 0, 4)[0]  # never itself


def test_a_csv_with_labels_and_metadata_is_stored_once_and_searchable(genlab_home):
    text = "label,colour,x,y,z\ncat,black,1,0,0\ndog,brown,0,1,0\ncat,white,1,0.1,0\nfish,gold,0,0,1\n"
    emb = O.build((text.encode(), "pets.csv"))
    assert emb.vectors.shape == (4, 3) and list(emb.labels) == ["cat", "dog", "cat", "fish"]
    assert list(O.search(emb, "CAT")) == [0, 2] and list(O.search(emb, "gold")) == [3]
    assert list(O.search(emb, ".*")) == []  # plain text, not a pattern
    again = O.build((text.encode(), "pets.csv"))
    assert again.id == emb.id and len(O.stored()) == 1
    loaded = O.load(emb.id)
    np.testing.assert_array_equal(loaded.vectors, emb.vectors)
    assert list(loaded.metadata["colour"]) == ["black", "brown", "white", "gold"]


def test_npy_vectors_with_a_labels_file_and_thumbnails(genlab_home):
    vectors = np.random.default_rng(0).normal(size=(6, 5)).astype(np.float32)
    emb = O.build((npy(vectors), "v.npy"), (b"a\nb\na\nb\na\nb\n", "labels.txt"),
                  npy(np.full((6, 8, 8), 255, np.uint8)), "mine")
    assert emb.name == "mine" and emb.thumbnails.shape == (6, 8, 8) and emb.thumbnails.max() == 1.0


@pytest.mark.parametrize("files, message", [
    (((npy(np.zeros((5, 1))), "v.npy"),), "between 2 and"),
    (((npy(np.zeros((2, 4))), "v.npy"),), "between 3 and"),
    (((npy(np.array([[1, 2], [np.nan, 1], [3, 4]])), "v.npy"),), "row 1"),
    (((b"not numpy", "v.npy"),), "not a readable .npy"),
    (((npy(np.array([{"a": 1}] * 3, dtype=object)), "v.npy"),), "not a readable .npy"),  # pickles are refused
    (((b"x", "v.json"),), "must be a .npy or .csv"),
    (((npy(np.zeros((4, 3))), "v.npy"), (b"a\nb\n", "l.txt")), "2 labels for 4 vectors"),
])
def test_bad_files_get_one_line_and_store_nothing(genlab_home, files, message):
    with pytest.raises(GenLabError, match=message):
        O.build(*files)
    assert O.stored() == []


@pytest.mark.parametrize("set_id", ["../../etc", "zzzzzzzzzzzz", ""])
def test_a_link_names_a_set_by_id_only(genlab_home, set_id):
    with pytest.raises(GenLabError):
        O.load(set_id)


def test_the_page_restores_a_view_from_its_link(genlab_home):
    emb = O.digits_example()
    at = open_app()
    at.query_params.update({"emb": emb.id, "emb_method": "PCA", "emb_color": "parity", "emb_query": "7",
                            "emb_point": "0", "emb_metric": "euclidean"})
    at.switch_page("app_pages/embeddings.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="emb").value == emb.id and at.selectbox(key="emb_color").value == "parity"
    assert at.text_input(key="emb_query").value == "7" and at.radio(key="emb_metric").value == "euclidean"
    neighbours = at.dataframe[-1].value
    assert len(neighbours) == 10 and "euclidean distance" in neighbours.columns
    assert (neighbours["label"] == "0").mean() >= 0.9  # digit 0's nearest pixel vectors are zeros
    assert any("match" in c.value for c in at.caption)
