using Distill.Shared.Tokenization;

namespace Distill.Shared.Tests.Tokenization;

public sealed class TokenizerLoaderErrorTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Missing_folder_is_reported()
    {
        string missing = Path.Combine(_folder, "nope");
        var e = Assert.Throws<DirectoryNotFoundException>(() => TokenizerLoader.Load(missing));
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void Empty_folder_is_reported_with_its_name()
    {
        var e = Assert.Throws<FileNotFoundException>(() => TokenizerLoader.Load(_folder));
        Assert.Contains(_folder, e.Message);
    }

    [Fact]
    public void Vocab_without_merges_is_reported()
    {
        CopyGpt2("vocab.json");
        var e = Assert.Throws<FileNotFoundException>(() => TokenizerLoader.Load(_folder));
        Assert.Contains(_folder, e.Message);
        Assert.EndsWith("merges.txt", e.FileName);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1, 2]")]
    [InlineData("""{ "a": "one" }""")]
    [InlineData("""{ "a": 1, "b": 1 }""")]
    [InlineData("""{ "a": -1 }""")]
    [InlineData("{}")]
    public void Malformed_vocab_json_is_invalid_data(string json)
    {
        CopyGpt2("merges.txt");
        File.WriteAllText(Path.Combine(_folder, "vocab.json"), json);
        var e = Assert.Throws<InvalidDataException>(() => TokenizerLoader.Load(_folder));
        Assert.Contains("vocab.json", e.Message);
    }

    [Theory]
    [InlineData("#version: 0.2\nĠ t\nĠtoo many parts\n")]
    [InlineData("#version: 0.2\nĠ\n")]
    [InlineData("#version: 0.2\nĠ  t\n")]
    public void Malformed_merges_line_is_invalid_data(string merges)
    {
        CopyGpt2("vocab.json");
        File.WriteAllText(Path.Combine(_folder, "merges.txt"), merges);
        var e = Assert.Throws<InvalidDataException>(() => TokenizerLoader.Load(_folder));
        Assert.Contains("merges.txt", e.Message);
    }

    [Fact]
    public void Merge_of_unknown_tokens_is_invalid_data()
    {
        CopyGpt2("vocab.json");
        File.WriteAllText(Path.Combine(_folder, "merges.txt"), "#version: 0.2\nĠ t\nzzq xxv\n");
        var e = Assert.Throws<InvalidDataException>(() => TokenizerLoader.Load(_folder));
        Assert.Contains("zzq xxv", e.Message);
    }

    [Fact]
    public void Vocab_missing_byte_symbols_is_invalid_data()
    {
        File.WriteAllText(Path.Combine(_folder, "vocab.json"), """{ "a": 0, "b": 1, "ab": 2 }""");
        File.WriteAllText(Path.Combine(_folder, "merges.txt"), "#version: 0.2\na b\n");
        Assert.Throws<InvalidDataException>(() => TokenizerLoader.Load(_folder));
    }

    [Theory]
    [InlineData("{ broken")]
    [InlineData("""{ "version": "1.0" }""")]
    [InlineData("""{ "model": { "type": "WordPiece", "vocab": { "a": 0 } }, "pre_tokenizer": { "type": "ByteLevel" } }""")]
    [InlineData("""{ "model": { "type": "BPE", "vocab": { "a": 0 } }, "decoder": { "type": "ByteLevel" } }""")]
    [InlineData("""{ "model": { "type": "BPE", "vocab": { "a": 0 }, "merges": [["a"]] }, "decoder": { "type": "ByteLevel" } }""")]
    [InlineData("""{ "model": { "type": "BPE", "vocab": { "a": 0 }, "merges": [] }, "decoder": { "type": "ByteLevel" }, "added_tokens": [{ "id": 0, "content": "<s>" }] }""")]
    [InlineData("""{ "model": { "type": "BPE", "vocab": { "a": 0 }, "merges": [] }, "decoder": { "type": "ByteLevel" }, "added_tokens": [{ "id": "5", "content": "<s>" }] }""")]
    [InlineData("""{ "model": { "type": 7, "vocab": { "a": 0 }, "merges": [] }, "decoder": { "type": "ByteLevel" } }""")]
    public void Malformed_tokenizer_json_is_invalid_data(string json)
    {
        File.WriteAllText(Path.Combine(_folder, "tokenizer.json"), json);
        var e = Assert.Throws<InvalidDataException>(() => TokenizerLoader.Load(_folder));
        Assert.Contains("tokenizer.json", e.Message);
    }

    [Theory]
    [InlineData("nope")]
    [InlineData("""{ "eos_token_id": 99999999 }""")]
    [InlineData("""{ "eos_token_id": "x" }""")]
    public void Malformed_config_json_is_invalid_data(string json)
    {
        CopyGpt2("vocab.json");
        CopyGpt2("merges.txt");
        File.WriteAllText(Path.Combine(_folder, "config.json"), json);
        var e = Assert.Throws<InvalidDataException>(() => TokenizerLoader.Load(_folder));
        Assert.Contains("config.json", e.Message);
    }

    private void CopyGpt2(string file) => File.Copy(Path.Combine(TestPaths.Gpt2, file), Path.Combine(_folder, file));
}
