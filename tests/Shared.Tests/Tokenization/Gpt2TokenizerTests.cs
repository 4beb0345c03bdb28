using Distill.Shared.Tokenization;

namespace Distill.Shared.Tests.Tokenization;

public sealed class Gpt2TokenizerTests
{
    private static readonly LoadedTokenizer Gpt2 = TokenizerLoader.Load(TestPaths.Gpt2);

    [Fact]
    public void Hello_world_has_the_gpt2_ids() => Assert.Equal([15496, 995], Gpt2.Encode("Hello world"));

    [Fact]
    public void Endoftext_is_50256()
    {
        Assert.Equal([50256], Gpt2.Encode("<|endoftext|>"));
        Assert.Equal(50256, Gpt2.EosId);
        Assert.Equal(50257, Gpt2.VocabSize);
        Assert.Equal("byte-level-bpe", Gpt2.Kind);
    }

    [Theory]
    [InlineData("  multiple   spaces\r\n\ttab héllo 😀 漢字 \n\n")]
    [InlineData("It is a truth universally acknowledged")]
    public void Gpt2_round_trips(string text) => Assert.Equal(text, Gpt2.Decode(Gpt2.Encode(text)));
}
