using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Distill.Shared.Tokenization;

/// <summary>A tiktoken rank file: one <c>base64-token rank</c> per line, read by Microsoft.ML.Tokenizers.</summary>
internal static partial class TiktokenFile
{
    public const string Extension = ".tiktoken";

    [GeneratedRegex(@"^[A-Za-z0-9+/]+={0,2} \d+\r?$")]
    private static partial Regex RankLine();

    /// <summary>True when the file starts with a rank line (a SentencePiece model starts with binary protobuf).</summary>
    public static bool LooksLikeOne(string path)
    {
        using var stream = File.OpenRead(path);
        var head = new byte[256];
        var read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var text = Encoding.ASCII.GetString(head, 0, read);
        var newline = text.IndexOf('\n');
        return newline > 0 && RankLine().IsMatch(text[..newline]);
    }

    /// <summary>The kind and a fingerprint over (rank, base64 bytes) pairs; the file carries no special tokens, so no eos.</summary>
    public static TokenizerDescription Describe(string path)
    {
        using (var stream = File.OpenRead(path))
        {
            _ = TiktokenTokenizer.Create(stream, preTokenizer: null, normalizer: null); // checks the format
        }
        var pairs = new List<KeyValuePair<string, int>>();
        foreach (var line in File.ReadLines(path))
        {
            var space = line.IndexOf(' ');
            if (space > 0)
            {
                pairs.Add(new(line[..space], int.Parse(line.AsSpan(space + 1), System.Globalization.CultureInfo.InvariantCulture)));
            }
        }
        return new TokenizerDescription(TokenizerKinds.Tiktoken, TokenizerFingerprint.OfTokenIds(TokenizerKinds.Tiktoken, pairs), null);
    }
}
