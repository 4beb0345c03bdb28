using Distill.Shared.Tokenization;

namespace Distill.Shared.Tests.Tokenization;

/// <summary>A tokenizer.json that cannot be used: a one-line error from the loader, a described problem (never an exception) from the inspector.</summary>
public sealed class MalformedTokenizerJsonTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string, string> Malformed() => new()
    {
        { "not JSON", "{ \"model\": " },
        { "no model", """{"version":"1.0","added_tokens":[]}""" },
        { "merge of a token outside the vocabulary (refused by Hugging Face's library)", """{"model":{"type":"BPE","vocab":{"a":0},"merges":[["a","b"]]}}""" },
        { "pre-tokenizer without its fields (refused by Hugging Face's library)", """{"model":{"type":"BPE","vocab":{"a":0},"merges":[]},"pre_tokenizer":{"type":"Split"}}""" },
        { "added token id is text", """{"model":{"type":"BPE","vocab":{"a":0},"merges":[]},"added_tokens":[{"id":"1","content":"<s>"}]}""" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Load_throws_one_line_naming_the_file(string defect, string json)
    {
        File.WriteAllText(Path.Combine(_folder, "tokenizer.json"), json);

        var e = Assert.Throws<InvalidDataException>(() => TokenizerLoader.Load(_folder));

        Assert.Contains("tokenizer.json", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(string.IsNullOrWhiteSpace(defect));
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Describe_reports_the_problem_without_throwing(string defect, string json)
    {
        File.WriteAllText(Path.Combine(_folder, "tokenizer.json"), json);

        TokenizerDescription described = TokenizerInspector.Describe(_folder);

        Assert.True(described.Kind == TokenizerKinds.Unknown, $"{defect}: kind {described.Kind}");
        Assert.False(string.IsNullOrWhiteSpace(described.Problem), defect);
    }
}
