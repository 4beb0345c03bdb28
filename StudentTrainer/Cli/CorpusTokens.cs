using Distill.Shared.Data;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Data;

namespace Distill.StudentTrainer.Cli;

/// <summary>Tokenizes the three splits of a book corpus, chapters joined by the end-of-text id.</summary>
public static class CorpusTokens
{
    public static (TokenStream Train, TokenStream Validation, TokenStream Test) Load(string dataFolder, LoadedTokenizer tokenizer)
    {
        int separator = tokenizer.EosId
            ?? throw new InvalidDataException("the tokenizer has no end-of-text token to separate chapters");
        var corpus = BookCorpus.Load(dataFolder);
        TokenStream Split(CorpusSplit split) =>
            TokenStream.Join(corpus.Texts(split).AsParallel().AsOrdered().Select(tokenizer.Encode), separator);
        return (Split(CorpusSplit.Train), Split(CorpusSplit.Validation), Split(CorpusSplit.Test));
    }
}
