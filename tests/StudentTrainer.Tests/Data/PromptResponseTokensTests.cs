using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Data;

namespace Distill.StudentTrainer.Tests.Data;

public class PromptResponseTokensTests
{
    private static readonly int[] Prompt = [1, 2, 3, 4, 5];
    private static readonly int[] Response = [10, 11, 12, 13];

    [Fact]
    public void A_pair_that_fits_is_kept_whole()
    {
        TokenizedPair fitted = PromptResponseTokens.Fit(Prompt, Response, contextLength: 9);
        Assert.Equal(Prompt, fitted.Prompt);
        Assert.Equal(Response, fitted.Response);
    }

    [Fact]
    public void A_long_pair_loses_the_start_of_its_prompt_first()
    {
        TokenizedPair fitted = PromptResponseTokens.Fit(Prompt, Response, contextLength: 6);
        Assert.Equal([4, 5], fitted.Prompt);
        Assert.Equal(Response, fitted.Response);
    }

    [Fact]
    public void A_response_too_long_for_the_context_is_cut_at_its_end_leaving_one_prompt_token()
    {
        TokenizedPair fitted = PromptResponseTokens.Fit(Prompt, Response, contextLength: 3);
        Assert.Equal([5], fitted.Prompt);
        Assert.Equal([10, 11], fitted.Response);
    }

    [Theory]
    [InlineData(0, 1, 4)]
    [InlineData(1, 0, 4)]
    [InlineData(1, 1, 1)]
    public void Empty_parts_and_tiny_contexts_are_rejected(int promptLength, int responseLength, int contextLength)
    {
        Assert.Throws<ArgumentException>(() =>
            PromptResponseTokens.Fit(Prompt[..promptLength], Response[..responseLength], contextLength));
    }

    [Fact]
    public void Tokenize_encodes_the_parts_separately_and_appends_the_end_of_text_id_to_the_response()
    {
        LoadedTokenizer tokenizer = TokenizerLoader.Load(Path.Combine(AppContext.BaseDirectory, "Data", "gpt2"));
        var pair = new PromptResponsePair("Hello", " world");

        TokenizedPair tokens = PromptResponseTokens.Tokenize(tokenizer, pair, contextLength: 16, eosId: 50256);

        Assert.Equal(tokenizer.Encode("Hello"), tokens.Prompt);
        Assert.Equal([.. tokenizer.Encode(" world"), 50256], tokens.Response);
    }
}
