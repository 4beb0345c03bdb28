using System.Runtime.InteropServices;

namespace Distill.Shared.Tokenization;

/// <summary>Pre-tokenises texts with the GPT-2 pattern and counts each distinct piece.</summary>
internal static class WordCounts
{
    /// <summary>Piece → occurrences, in first-seen order. Special tokens are cut out and not counted.</summary>
    public static Dictionary<string, int> Count(IEnumerable<string> texts, IReadOnlyList<string> specialTokens)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        string[] separators = [.. specialTokens];
        foreach (string text in texts)
        {
            ArgumentNullException.ThrowIfNull(text, nameof(texts));
            string[] parts = separators.Length == 0 ? [text] : text.Split(separators, StringSplitOptions.None);
            foreach (string part in parts)
            {
                foreach (var match in Gpt2Pattern.Regex().EnumerateMatches(part))
                {
                    ReadOnlySpan<char> piece = part.AsSpan(match.Index, match.Length);
                    CollectionsMarshal.GetValueRefOrAddDefault(lookup, piece, out _)++;
                }
            }
        }
        return counts;
    }
}
