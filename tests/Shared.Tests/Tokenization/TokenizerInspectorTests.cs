using Distill.Shared.Tokenization;

namespace Distill.Shared.Tests.Tokenization;

/// <summary>Every tokenizer family is described (kind and fingerprint), none is refused.</summary>
public sealed class TokenizerInspectorTests : IDisposable
{
    private readonly string _root = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Folder(string name) => Path.Combine(_root, name);

    [Fact]
    public void Byte_level_bpe_keeps_the_trainers_canonical_fingerprint()
    {
        var files = Folder("files");
        foreach (var file in new[] { "vocab.json", "merges.txt" }) CopyTo(files, Path.Combine(TestPaths.Gpt2, file));

        var described = TokenizerInspector.Describe(files);

        Assert.Equal(TokenizerKinds.ByteLevelBpe, described.Kind);
        Assert.Equal(TokenizerLoader.Load(files).Fingerprint, described.Fingerprint);
        Assert.Equal(50256, described.EosId);
        Assert.Null(described.Problem);
    }

    [Fact]
    public void SentencePiece_tokenizer_json_is_described_as_the_loader_reads_it()
    {
        var json = Folder("sp-json");
        SentencePieceFixture.WriteTokenizerJson(json);

        var described = TokenizerInspector.Describe(json);

        Assert.Equal(TokenizerKinds.SentencePieceBpe, described.Kind);
        Assert.Matches("^[0-9a-f]{64}$", described.Fingerprint);
        Assert.Equal(2, described.EosId); // </s>
        Assert.True(described.Problem is null, described.Problem);
        Assert.Equal(TokenizerLoader.Load(json).Fingerprint, described.Fingerprint);
    }

    [Fact]
    public void SentencePiece_model_file_read_by_microsoft_ml_is_fingerprinted_by_its_token_ids()
    {
        var json = Folder("sp-json");
        var model = Folder("sp-model");
        SentencePieceFixture.WriteTokenizerJson(json);
        SentencePieceFixture.WriteModelProto(model);

        var fromModel = TokenizerInspector.Describe(model);

        Assert.True(fromModel.Problem is null, fromModel.Problem);
        Assert.Equal(TokenizerKinds.SentencePieceBpe, fromModel.Kind);
        Assert.Equal(TokenizerFingerprint.OfTokenIds(TokenizerKinds.SentencePieceBpe,
            SentencePieceFixture.Pieces.Select((piece, id) => KeyValuePair.Create(piece, id))), fromModel.Fingerprint);
        // tokenizer.json is fingerprinted by its whole behaviour, which a tokenizer.model is not read for.
        Assert.NotEqual(TokenizerInspector.Describe(json).Fingerprint, fromModel.Fingerprint);
        Assert.Equal(2, fromModel.EosId);
    }

    [Fact]
    public void Changing_one_id_changes_the_fingerprint()
    {
        var original = Folder("original");
        var swapped = Folder("swapped");
        SentencePieceFixture.WriteTokenizerJson(original);
        var count = SentencePieceFixture.Pieces.Count;
        SentencePieceFixture.WriteTokenizerJson(swapped, (piece, id) => id == count - 1 ? count - 2 : id == count - 2 ? count - 1 : id);

        Assert.NotEqual(TokenizerInspector.Describe(original).Fingerprint, TokenizerInspector.Describe(swapped).Fingerprint);
    }

    [Fact]
    public void Unigram_tokenizer_json_is_described_as_the_loader_reads_it()
    {
        var folder = Folder("unigram");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"),
            """{"model":{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0.0],["▁a",-1.5],["b",-2.0]]},"pre_tokenizer":{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}}""");

        var described = TokenizerInspector.Describe(folder);

        Assert.Equal(TokenizerKinds.SentencePieceUnigram, described.Kind);
        LoadedTokenizer loaded = TokenizerLoader.Load(folder);
        Assert.Equal(loaded.Fingerprint, described.Fingerprint);
        Assert.Equal([1, 2], loaded.Encode("ab")); // Unigram ids are the positions of the pieces
    }

    [Fact]
    public void Tiktoken_rank_file_is_read()
    {
        var folder = Folder("tiktoken");
        Directory.CreateDirectory(folder);
        var tokens = new[] { "a", "b", "ab", " the" };
        File.WriteAllLines(Path.Combine(folder, "tokenizer.model"),
            tokens.Select((t, rank) => $"{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(t))} {rank}"));

        var described = TokenizerInspector.Describe(folder);

        Assert.True(described.Problem is null, described.Problem);
        Assert.Equal(TokenizerKinds.Tiktoken, described.Kind);
        Assert.Equal(TokenizerFingerprint.OfTokenIds(TokenizerKinds.Tiktoken,
            tokens.Select((t, rank) => KeyValuePair.Create(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(t)), rank))), described.Fingerprint);
    }

    public static TheoryData<string, string> MalformedTokenizerJson() => new()
    {
        { "an added token's id is a string", """{"model":{"type":"BPE","vocab":{"a":0},"merges":[]},"decoder":{"type":"ByteLevel"},"added_tokens":[{"id":"5","content":"<s>"}]}""" },
        { "model.type is a number", """{"model":{"type":7,"vocab":{"a":0},"merges":[]},"decoder":{"type":"ByteLevel"}}""" },
        { "not JSON", "{ broken" },
        { "no model", """{"version":"1.0"}""" },
    };

    [Theory]
    [MemberData(nameof(MalformedTokenizerJson))]
    public void Malformed_tokenizer_json_is_unknown_with_its_reason_and_never_throws(string defect, string json)
    {
        var folder = Folder("bad");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), json);

        var described = TokenizerInspector.Describe(folder);

        Assert.True(described.Kind == TokenizerKinds.Unknown, $"{defect}: kind {described.Kind}");
        Assert.False(string.IsNullOrWhiteSpace(described.Problem), defect);
    }

    [Fact]
    public void A_folder_without_tokenizer_files_is_none()
    {
        var folder = Folder("empty");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), """{"vocab_size":3}""");

        Assert.Equal(TokenizerDescription.None, TokenizerInspector.Describe(folder));
    }

    private static void CopyTo(string folder, string file)
    {
        Directory.CreateDirectory(folder);
        File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
    }
}
