using Distill.Shared.Data;
using Distill.Shared.Tokenization;

namespace Distill.Shared.Tests.Tokenization;

/// <summary>
/// A long document is tokenised a piece at a time (<see cref="DocumentPieces"/>); for the byte-level tokenizers whose
/// pre-tokenizer splits at newlines, and for Gemma 3's, the pieces' ids joined are the whole document's ids. (Llama 2's
/// and Mistral's normalizer prepends "▁" to every text, so there each piece starts as a text of its own would.)
/// </summary>
public sealed class PiecewiseEncodingTests
{
    public static TheoryData<string> Exact => ["gpt2", "austen", "llama3", "qwen3", "gemma3"];

    [Theory]
    [MemberData(nameof(Exact))]
    public void The_pieces_ids_joined_are_the_whole_documents_ids(string name)
    {
        LoadedTokenizer tokenizer = Load(name);
        string document = Document();
        SplitText[] pieces = DocumentPieces.Of(document, DocumentPieces.Whole(CorpusSplit.Train), 400).ToArray();

        Assert.True(pieces.Length > 50, $"{pieces.Length} pieces");
        Assert.Equal(tokenizer.Encode(document.Trim()), pieces.SelectMany(p => tokenizer.Encode(p.Text)));
    }

    private static LoadedTokenizer Load(string name) => name switch
    {
        "gpt2" => TokenizerLoader.Load(TestPaths.Gpt2),
        "austen" => TokenizerLoader.Load(Path.Combine(TestPaths.RepoRoot, "models", "austen-gpt")),
        _ => HuggingFaceFixtures.Tokenizer(name),
    };

    /// <summary>A chapter of Austen and the fixtures' varied texts (code, digits, CJK, emoji, runs of spaces and tabs), joined by newlines.</summary>
    private static string Document()
    {
        string austen = TestPaths.AustenTexts()[0][..40_000];
        IEnumerable<string> varied = HuggingFaceFixtures.Names.SelectMany(HuggingFaceFixtures.Expected).Select(c => c.Text);
        return string.Join("\n", varied.Prepend(austen).Append(austen));
    }
}
