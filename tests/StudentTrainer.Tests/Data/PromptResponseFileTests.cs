using System.Text;
using Distill.StudentTrainer.Data;

namespace Distill.StudentTrainer.Tests.Data;

public sealed class PromptResponseFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("distill-pairs-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string WriteLines(params string[] lines)
    {
        string path = Path.Combine(_folder, "pairs.jsonl");
        File.WriteAllText(path, string.Join("\n", lines));
        return path;
    }

    [Fact]
    public void Reads_prompt_response_and_dolly_lines_and_skips_blank_lines()
    {
        string path = WriteLines(
            """{"prompt": "Who?", "response": "Emma.", "category": "ignored"}""",
            "",
            """{"instruction": "Summarise.", "context": "A long text.", "response": "Short."}""",
            "   ",
            """{"instruction": "Name a novel.", "context": "", "response": "Persuasion"}""",
            """{"instruction": "Name a sister.", "response": "Jane"}""");

        IReadOnlyList<PromptResponsePair> pairs = PromptResponseFile.Read(path);

        Assert.Equal(
            [
                new PromptResponsePair("Who?", "Emma."),
                new PromptResponsePair("Summarise.\n\nA long text.", "Short."),
                new PromptResponsePair("Name a novel.", "Persuasion"),
                new PromptResponsePair("Name a sister.", "Jane"),
            ],
            pairs);
    }

    [Theory]
    [InlineData("""{"prompt": "p", "response": "r""", "")]
    [InlineData("""["prompt", "response"]""", "object")]
    [InlineData("""{"prompt": "p"}""", "'response'")]
    [InlineData("""{"prompt": "p", "response": ""}""", "empty 'response'")]
    [InlineData("""{"context": "c", "response": "r"}""", "'prompt'")]
    [InlineData("""{"prompt": 3, "response": "r"}""", "'prompt' must be a string")]
    [InlineData("""{"instruction": "i", "context": null, "response": "r"}""", "'context' must be a string")]
    [InlineData("""{"prompt": "p", "response": ["r"]}""", "'response' must be a string")]
    public void A_bad_line_is_an_error_naming_the_file_and_line(string bad, string reason)
    {
        string path = WriteLines("""{"prompt": "p", "response": "r"}""", "", bad, """{"prompt": "p", "response": "r"}""");

        var error = Assert.Throws<InvalidDataException>(() => PromptResponseFile.Read(path));

        Assert.Contains($"{path}, line 3:", error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void A_missing_file_is_a_clear_error()
    {
        string path = Path.Combine(_folder, "none.jsonl");
        var error = Assert.Throws<FileNotFoundException>(() => PromptResponseFile.Read(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Written_pairs_read_back_unchanged_from_utf8_lines_without_a_byte_order_mark()
    {
        PromptResponsePair[] pairs =
        [
            new("She said \"no\"\nand left.", "£10 — \\ a \t tab"),
            new("<b>&'</b>", "Ünïcödé ✓"),
        ];
        string path = Path.Combine(_folder, "out.jsonl");
        File.WriteAllText(path, "old contents");

        PromptResponseFile.Write(path, pairs);

        byte[] bytes = File.ReadAllBytes(path);
        Assert.NotEqual(0xEF, bytes[0]);
        string[] lines = Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("{\"prompt\":", lines[0]);
        Assert.Equal(pairs, PromptResponseFile.Read(path));
        Assert.Equal(["out.jsonl"], Directory.GetFiles(_folder).Select(Path.GetFileName));
    }
}
