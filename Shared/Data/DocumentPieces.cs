using System.Text;

namespace Distill.Shared.Data;

/// <summary>
/// One document, given a line at a time, cut into its splits and into pieces that fit in memory.
/// <para>
/// Splits: the document's trimmed text is cut into consecutive parts, one per <see cref="Part"/>; a part ends at the
/// first line end (the position after a <c>'\n'</c>) at or after its target and at or after the previous part's end,
/// or at the text's end; the last part runs to the end. Each part is trimmed; an empty part gives nothing.
/// </para>
/// <para>
/// Pieces: a part longer than the piece size comes as several pieces, each cut at the first line end past the piece
/// size where the line before ends and the line after starts with a character that is not whitespace. At such a
/// point, tokenizers that split pre-tokens at newlines (byte-level BPE with GPT-2's, Llama 3's or Qwen's split; Gemma
/// 3's) give the same ids for the pieces as for the whole; those that prepend "▁" to every text (Llama 2's, Mistral's)
/// give one more "▁" at each piece's start. A line longer than the piece size stays in one piece.
/// </para>
/// </summary>
public static class DocumentPieces
{
    /// <summary>A split and the position (in the trimmed text) from which its part may end.</summary>
    public readonly record struct Part(CorpusSplit Split, long Target);

    /// <summary>One part, the whole document, in <paramref name="split"/>.</summary>
    public static IReadOnlyList<Part> Whole(CorpusSplit split) => [new Part(split, long.MaxValue)];

    /// <summary>Train, validation and test by share of the <paramref name="length"/> characters of a trimmed text.</summary>
    public static IReadOnlyList<Part> ByFractions(long length, SplitFractions fractions) =>
    [
        new Part(CorpusSplit.Train, (long)(length * fractions.Train)),
        new Part(CorpusSplit.Validation, (long)(length * (fractions.Train + fractions.Validation))),
        new Part(CorpusSplit.Test, long.MaxValue),
    ];

    /// <summary>The pieces of a text held in memory.</summary>
    public static IEnumerable<SplitText> Of(string text, IReadOnlyList<Part> parts, int pieceCharacters)
    {
        if (parts.Count == 1 && text.Length < pieceCharacters)
        {
            string trimmed = text.Trim();
            return trimmed.Length == 0 ? [] : [new SplitText(parts[0].Split, trimmed)];
        }
        return Cut(text.Split('\n'), TextShape.Of(text), parts, pieceCharacters);
    }

    /// <summary>The pieces of the text <paramref name="lines"/> make joined by <c>'\n'</c>, whose shape is <paramref name="shape"/>.</summary>
    public static IEnumerable<SplitText> Cut(IEnumerable<string> lines, TextShape shape, IReadOnlyList<Part> parts, int pieceCharacters)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pieceCharacters, 2);
        var cutter = new Cutter(shape, parts, pieceCharacters);
        bool first = true;
        foreach (string line in lines)
        {
            if (!first)
                foreach (SplitText piece in cutter.LineEnd(line)) yield return piece;
            first = false;
            cutter.Append(line);
        }
        foreach (SplitText piece in cutter.Finish()) yield return piece;
    }

    private sealed class Cutter(TextShape shape, IReadOnlyList<Part> parts, int pieceCharacters)
    {
        private readonly StringBuilder _piece = new();
        private long _position = -shape.Leading;
        private int _part;
        private long _partEnd;
        private bool _startsPart = true;

        /// <summary>Appends the <c>'\n'</c> before <paramref name="next"/> and ends a part or a piece there if it should.</summary>
        public IEnumerable<SplitText> LineEnd(string next)
        {
            bool inside = _position >= 0 && _position < shape.Length;
            Append("\n");
            if (!inside) yield break;
            while (_part < parts.Count - 1 && _position >= Math.Max(parts[_part].Target, _partEnd))
            {
                if (Take(endsPart: true) is { } last) yield return last;
                _part++;
                _partEnd = _position;
            }
            if (_piece.Length >= pieceCharacters && !char.IsWhiteSpace(_piece[^2])
                && next.Length > 0 && !char.IsWhiteSpace(next[0]))
                if (Take(endsPart: false) is { } piece) yield return piece;
        }

        /// <summary>Appends the part of <paramref name="text"/> that lies inside the trimmed text.</summary>
        public void Append(string text)
        {
            long from = Math.Max(0, -_position);
            long to = Math.Min(text.Length, shape.Length - _position);
            if (from < to) _piece.Append(text, (int)from, (int)(to - from));
            _position += text.Length;
        }

        public IEnumerable<SplitText> Finish()
        {
            for (; _part < parts.Count; _part++)
                if (Take(endsPart: true) is { } last) yield return last;
        }

        private SplitText? Take(bool endsPart)
        {
            string text = _piece.ToString();
            _piece.Clear();
            if (_startsPart) text = text.TrimStart();
            if (endsPart) text = text.TrimEnd();
            _startsPart = endsPart;
            return text.Length == 0 ? null : new SplitText(parts[_part].Split, text, endsPart);
        }
    }
}
