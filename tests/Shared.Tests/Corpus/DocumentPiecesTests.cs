using System.Text;
using Distill.Shared.Data;

namespace Distill.Shared.Tests.Corpus;

/// <summary>
/// <see cref="DocumentPieces"/> against the cut by fractions done on the whole text in memory (the definition), on
/// random texts, fractions and piece sizes; and where pieces are cut.
/// </summary>
public sealed class DocumentPiecesTests
{
    [Fact]
    public void A_cut_falls_on_the_line_end_at_or_after_the_fraction()
    {
        string text = "short\na much longer second line\nthird\nfourth line\n";
        var fractions = new SplitFractions(0.25, 0.25);

        Assert.Equal(ReferenceCut(text, fractions), Joined(DocumentPieces.Of(text, DocumentPieces.ByFractions(TextShape.Of(text).Length, fractions), 1 << 20)));
        Assert.Equal(
            [(CorpusSplit.Train, "short\na much longer second line"), (CorpusSplit.Validation, "third"), (CorpusSplit.Test, "fourth line")],
            ReferenceCut(text, fractions));
    }

    [Fact]
    public void Pieces_of_random_texts_join_to_the_parts_of_the_whole_text_cut_in_memory()
    {
        var random = new Random(20261207);
        for (int trial = 0; trial < 2000; trial++)
        {
            string text = RandomText(random);
            var fractions = new SplitFractions(0.02 + random.NextDouble() * 0.4, 0.02 + random.NextDouble() * 0.4);
            int pieceCharacters = random.Next(2, 60);

            SplitText[] pieces = DocumentPieces.Cut(text.Split('\n'), TextShape.Of(text), DocumentPieces.ByFractions(text.Trim().Length, fractions), pieceCharacters).ToArray();

            Assert.Equal(ReferenceCut(text, fractions), Joined(pieces));
            (CorpusSplit, string)[] whole = text.Trim().Length == 0 ? [] : [(CorpusSplit.Test, text.Trim())];
            Assert.Equal(whole, Joined(DocumentPieces.Cut(text.Split('\n'), TextShape.Of(text), DocumentPieces.Whole(CorpusSplit.Test), pieceCharacters)));
        }
    }

    [Fact]
    public void A_piece_ends_at_the_first_line_end_past_the_piece_size_between_two_lines_that_are_not_blank_there()
    {
        string text = "aaaa\nbbbb\n cccc\ndddddd \neeee\nffff";
        SplitText[] pieces = DocumentPieces.Of(text, DocumentPieces.Whole(CorpusSplit.Train), 8).ToArray();

        // "aaaa\nbbbb\n" reaches 8 characters but the next line starts with a space; "dddddd \n" reaches 8 but ends
        // with one.
        Assert.Equal(["aaaa\nbbbb\n cccc\n", "dddddd \neeee\n", "ffff"], pieces.Select(p => p.Text));
        Assert.Equal([false, false, true], pieces.Select(p => p.EndsDocument));
    }

    [Fact]
    public void A_text_shorter_than_a_piece_is_one_piece_and_a_blank_one_is_none()
    {
        Assert.Equal([new SplitText(CorpusSplit.Validation, "one\ntwo", true)], DocumentPieces.Of("  one\ntwo \n", DocumentPieces.Whole(CorpusSplit.Validation), 100));
        Assert.Empty(DocumentPieces.Of(" \n\t\n", DocumentPieces.Whole(CorpusSplit.Validation), 100));
        Assert.Empty(DocumentPieces.Of(" \n\t\n", DocumentPieces.ByFractions(0, SplitFractions.Default), 2));
    }

    private static (CorpusSplit, string)[] Joined(IEnumerable<SplitText> pieces)
    {
        var parts = new List<(CorpusSplit, string)>();
        var text = new StringBuilder();
        CorpusSplit? split = null;
        foreach (SplitText piece in pieces)
        {
            Assert.True(split is null || split == piece.Split, "a part's pieces share its split");
            split = piece.Split;
            text.Append(piece.Text);
            if (!piece.EndsDocument) continue;
            parts.Add((piece.Split, text.ToString()));
            text.Clear();
            split = null;
        }
        Assert.Equal(0, text.Length);
        return parts.ToArray();
    }

    private static string RandomText(Random random)
    {
        string[] atoms = ["word", "x", " ", "  ", "\t", "\n", "\n", "\n\n", "é", "Chapter", "\r", ".", "a b"];
        var text = new StringBuilder();
        int length = random.Next(0, 40);
        for (int i = 0; i < length; i++) text.Append(atoms[random.Next(atoms.Length)]);
        return text.ToString();
    }

    /// <summary>The cut as defined on the whole text: each part ends at the first line end at or after its share.</summary>
    private static (CorpusSplit, string)[] ReferenceCut(string text, SplitFractions fractions)
    {
        string trimmed = text.Trim();
        int trainEnd = LineEndAtOrAfter(trimmed, (int)(trimmed.Length * fractions.Train), 0);
        int validationEnd = LineEndAtOrAfter(trimmed, (int)(trimmed.Length * (fractions.Train + fractions.Validation)), trainEnd);
        return new[] { (CorpusSplit.Train, trimmed[..trainEnd]), (CorpusSplit.Validation, trimmed[trainEnd..validationEnd]), (CorpusSplit.Test, trimmed[validationEnd..]) }
            .Select(p => (p.Item1, p.Item2.Trim()))
            .Where(p => p.Item2.Length > 0)
            .ToArray();
    }

    private static int LineEndAtOrAfter(string text, int position, int notBefore)
    {
        int start = Math.Max(position, notBefore);
        if (start >= text.Length) return text.Length;
        if (start > 0 && text[start - 1] == '\n') return start;
        int newline = text.IndexOf('\n', start);
        return newline < 0 ? text.Length : newline + 1;
    }
}
