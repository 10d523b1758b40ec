"""Pairs files: LFW pairs.txt (with and without folds) and CSV. Parsing only, no photo read."""

from __future__ import annotations

from pathlib import Path

import pytest

from keyuan.evaluation.pairs import PairsFileInvalid, parse_csv_pairs, parse_lfw_pairs

ROOT = Path("/lfw")
LFW_TWO_FOLDS = """2\t2
Abel_Pacheco\t1\t4
Akhmed_Zakayev\t1\t3
Abdel_Madi_Shabneh\t1\tDean_Barker\t1
Abdel_Madi_Shabneh\t1\tGiancarlo_Fisichella\t1
Aaron_Peirsol\t1\t2
Aaron_Peirsol\t3\t4
AJ_Cook\t1\tMarsha_Thomason\t1
Aaron_Sorkin\t2\tFrank_Solich\t5
"""


def test_lfw_header_with_folds_assigns_same_then_different_per_fold() -> None:
    parsed = parse_lfw_pairs(LFW_TWO_FOLDS, ROOT)
    assert parsed.folds_source == "file"
    assert [(p.same, p.fold) for p in parsed.pairs] == [
        (True, 0), (True, 0), (False, 0), (False, 0), (True, 1), (True, 1), (False, 1), (False, 1)]
    first, third = parsed.pairs[0], parsed.pairs[2]
    assert first.path_a == ROOT / "Abel_Pacheco" / "Abel_Pacheco_0001.jpg"
    assert first.path_b == ROOT / "Abel_Pacheco" / "Abel_Pacheco_0004.jpg"
    assert third.path_b == ROOT / "Dean_Barker" / "Dean_Barker_0001.jpg"


def test_lfw_single_count_has_no_folds_until_made_deterministically() -> None:
    text = "1\nAaron_Peirsol 1 2\nAJ_Cook 1 Marsha_Thomason 1\n"
    parsed = parse_lfw_pairs(text, ROOT)
    assert parsed.folds_source == "none" and parsed.pairs[0].fold is None
    folded = parsed.with_folds()
    assert folded.folds_source == "sha256"
    assert folded.pairs == parsed.with_folds().pairs
    assert all(p.fold is not None and 0 <= p.fold < 10 for p in folded.pairs)


@pytest.mark.parametrize("text", [
    "", "two folds\n", "1\nAaron_Peirsol 1\nAJ_Cook 1 Marsha 1\n",
    "1\nAaron_Peirsol 1 2\n", "1\nAaron_Peirsol one 2\nAJ_Cook 1 Marsha 1\n",
    "1\nAJ_Cook 1 Marsha 1\nAaron_Peirsol 1 2\n",
])
def test_malformed_lfw_files_are_refused_with_a_stable_code(text: str) -> None:
    with pytest.raises(PairsFileInvalid) as caught:
        parse_lfw_pairs(text, ROOT)
    assert caught.value.code == "pairs_file_invalid" and caught.value.status == 400


def test_csv_pairs_resolve_against_the_root_and_keep_a_fold_column() -> None:
    text = "path_a,path_b,same,fold\na/1.jpg,a/2.jpg,1,3\na/1.jpg,b/1.jpg,false,4\n"
    parsed = parse_csv_pairs(text, ROOT)
    assert parsed.folds_source == "file"
    assert [(p.path_a, p.same, p.fold) for p in parsed.pairs] == [
        (ROOT / "a/1.jpg", True, 3), (ROOT / "a/1.jpg", False, 4)]


@pytest.mark.parametrize("text", [
    "path_a,path_b\na,b\n", "path_a,path_b,same\n", "path_a,path_b,same\na,b,maybe\n",
    "path_a,path_b,same,fold\na,b,1,x\n",
])
def test_malformed_csv_is_refused(text: str) -> None:
    with pytest.raises(PairsFileInvalid):
        parse_csv_pairs(text, ROOT)
