using Distill.Shared.Data;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Data;

namespace Distill.StudentTrainer.Cli;

/// <summary>The three token streams of the corpus <c>--data</c> names (<see cref="CorpusReader"/>), documents joined by the end-of-text id.</summary>
public static class CorpusTokens
{
    /// <summary>Tokenizes the corpus into its token cache (<see cref="CorpusTokenCache"/>), or reads it from there.</summary>
    /// <exception cref="InvalidDataException">The tokenizer has no end-of-text token, the corpus is unreadable, or a split is empty.</exception>
    public static (TokenStream Train, TokenStream Validation, TokenStream Test) Load(string data, LoadedTokenizer tokenizer, CorpusOptions? options = null)
    {
        options ??= CorpusOptions.Default;
        int separator = tokenizer.EosId
            ?? throw new InvalidDataException("the tokenizer has no end-of-text token to separate documents");
        CorpusReader corpus = CorpusReader.Open(data, options.Fractions);
        return CorpusTokenCache.Load(corpus, tokenizer, separator, options.TokenCache ?? CorpusTokenCache.DefaultFolder);
    }
}
