using Distill.Shared.Tokenization;

namespace Distill.Shared.Tests.Tokenization;

/// <summary>
/// TeacherServer's description (<see cref="TokenizerInspector.Describe"/>) and the trainer's loader agree on every real
/// tokenizer, and the loader reads the folder's vocabulary size and end tokens.
/// </summary>
public sealed class TokenizerAgreementTests
{
    [Theory]
    [InlineData("llama3", TokenizerKinds.ByteLevelBpe, 128256, 128001, 128000)]
    [InlineData("qwen3", TokenizerKinds.ByteLevelBpe, 151669, 151645, null)]
    [InlineData("llama2", TokenizerKinds.SentencePieceBpe, 32000, 2, 1)]
    [InlineData("gemma3", TokenizerKinds.SentencePieceBpe, 262145, 106, 2)]
    public void Description_and_loader_agree(string name, string kind, int vocabSize, int eosId, int? bosId)
    {
        LoadedTokenizer loaded = HuggingFaceFixtures.Tokenizer(name);
        TokenizerDescription described = TokenizerInspector.Describe(HuggingFaceFixtures.Folder(name));

        Assert.Null(described.Problem);
        Assert.Equal(loaded.Fingerprint, described.Fingerprint);
        Assert.Equal((kind, kind), (loaded.Kind, described.Kind));
        Assert.Equal((eosId, eosId), (loaded.EosId, described.EosId));
        Assert.Equal(vocabSize, loaded.VocabSize);
        Assert.Equal(bosId, loaded.BosId);
    }

    [Fact]
    public void The_real_tokenizers_have_four_different_fingerprints() =>
        Assert.Equal(4, HuggingFaceFixtures.Names.Select(n => HuggingFaceFixtures.Tokenizer(n).Fingerprint).Distinct().Count());

    [Fact]
    public void Default_teacher_description_and_loader_agree()
    {
        string folder = Path.Combine(TestPaths.RepoRoot, "models", "austen-gpt");
        LoadedTokenizer loaded = TokenizerLoader.Load(folder);
        TokenizerDescription described = TokenizerInspector.Describe(folder);

        Assert.Equal(loaded.Fingerprint, described.Fingerprint);
        Assert.Equal(4095, loaded.EosId);
        Assert.Equal(4095, described.EosId);
    }
}
