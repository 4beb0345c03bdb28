using Distill.Shared.Tokenization;

namespace Distill.Shared.Tests.Tokenization;

public sealed class TrainerTests
{
    [Fact]
    public void First_merges_on_tiny_text_are_the_hand_counted_ones()
    {
        // Pieces: "low", " lower", " lowest", " low" (space = Ġ). Counts: l·o 4, o·w 4 (tie → "l" < "o"),
        // then lo·w 4, Ġ·low 3, and Ġlow·e 2 (" lower", " lowest"); every other pair occurs once, below the minimum of 2.
        BpeVocabulary v = ByteLevelBpeTrainer.Train(["low lower lowest low"], new ByteLevelBpeTrainerOptions(300));

        Assert.Equal([new("l", "o"), new("lo", "w"), new("Ġ", "low"), new("Ġlow", "e")], v.Merges);
        Assert.Equal(256 + 4 + 1, v.Vocab.Count);
        Assert.Equal(256, v.Vocab["lo"]);
        Assert.Equal(259, v.Vocab["Ġlowe"]);
        Assert.Equal(260, v.Vocab["<|endoftext|>"]);
        Assert.Equal(new Dictionary<string, int> { ["<|endoftext|>"] = 260 }, v.SpecialTokens);
    }

    [Fact]
    public void Base_ids_follow_gpt2_byte_order()
    {
        BpeVocabulary v = ByteLevelBpeTrainer.Train(["x"], new ByteLevelBpeTrainerOptions(300));
        Assert.Equal(0, v.Vocab["!"]);
        Assert.Equal(188, v.Vocab["Ā"]); // byte 0
        Assert.Equal(220, v.Vocab["Ġ"]); // space
        Assert.Equal(198, v.Vocab["Ċ"]); // newline
    }

    [Fact]
    public void Special_tokens_in_training_text_are_not_learnt()
    {
        BpeVocabulary v = ByteLevelBpeTrainer.Train(
            ["<|endoftext|><|endoftext|>ab<|endoftext|>ab"], new ByteLevelBpeTrainerOptions(300));
        Assert.Equal([new("a", "b")], v.Merges);
    }

    [Fact]
    public void Training_is_deterministic_to_the_byte()
    {
        string slice = File.ReadAllText(Path.Combine(TestPaths.Austen, "emma.txt"))[..300_000];
        var options = new ByteLevelBpeTrainerOptions(2048);
        string first = TestPaths.NewTempFolder();
        string second = TestPaths.NewTempFolder();
        try
        {
            TokenizerFiles.Write(first, ByteLevelBpeTrainer.Train([slice], options));
            TokenizerFiles.Write(second, ByteLevelBpeTrainer.Train([slice], options));
            foreach (string file in new[] { "vocab.json", "merges.txt" })
                Assert.Equal(File.ReadAllBytes(Path.Combine(first, file)), File.ReadAllBytes(Path.Combine(second, file)));
            Assert.Equal(TokenizerLoader.Load(first).Fingerprint, TokenizerLoader.Load(second).Fingerprint);
        }
        finally
        {
            Directory.Delete(first, recursive: true);
            Directory.Delete(second, recursive: true);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(257)]
    public void Too_small_vocab_is_refused(int vocabSize) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ByteLevelBpeTrainer.Train(["abc"], new ByteLevelBpeTrainerOptions(vocabSize)));

    [Fact]
    public void Bad_options_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            ByteLevelBpeTrainer.Train(["abc"], new ByteLevelBpeTrainerOptions(300) { MinPairFrequency = 0 }));
        Assert.Throws<ArgumentException>(() =>
            ByteLevelBpeTrainer.Train(["abc"], new ByteLevelBpeTrainerOptions(300) { SpecialTokens = ["<a>", "<a>"] }));
        Assert.Throws<ArgumentNullException>(() => ByteLevelBpeTrainer.Train(null!, new ByteLevelBpeTrainerOptions(300)));
    }
}
