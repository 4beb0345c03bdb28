namespace Distill.Shared.Data;

/// <summary>
/// Cuts one text into train, validation and test by share of its characters, at line boundaries: train runs up to
/// the first line end at or after <see cref="SplitFractions.Train"/> of the text, validation up to the first line end
/// at or after train + validation, and test holds the rest.
/// </summary>
public static class TextFractionCut
{
    /// <summary>The three parts in order train, validation, test; a part may be empty.</summary>
    public static (string Train, string Validation, string Test) Cut(string text, SplitFractions fractions)
    {
        ArgumentNullException.ThrowIfNull(text);
        int trainEnd = LineEndAtOrAfter(text, (int)(text.Length * fractions.Train), 0);
        int validationEnd = LineEndAtOrAfter(text, (int)(text.Length * (fractions.Train + fractions.Validation)), trainEnd);
        return (text[..trainEnd], text[trainEnd..validationEnd], text[validationEnd..]);
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
