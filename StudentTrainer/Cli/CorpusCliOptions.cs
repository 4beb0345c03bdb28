using System.CommandLine;
using Distill.Shared.Data;
using Distill.StudentTrainer.Data;

namespace Distill.StudentTrainer.Cli;

/// <summary>The options that say which corpus a command reads, how it is split and where its token files are kept.</summary>
public sealed class CorpusCliOptions
{
    public Option<string> Data { get; } = CliOptions.Data();

    public Option<double> ValidationFraction { get; } = new("--validation-fraction")
    {
        Description = "Share of the documents (or, with too few documents, of each document's text) held out for validation; books keep their chapter rule (1 chapter in 20)",
        DefaultValueFactory = _ => SplitFractions.Default.Validation,
    };

    public Option<double> TestFraction { get; } = new("--test-fraction")
    {
        Description = "Share held out for test, as --validation-fraction",
        DefaultValueFactory = _ => SplitFractions.Default.Test,
    };

    public Option<string?> TokenCache { get; } = new("--token-cache")
    {
        Description = "Folder of the corpus's token files, one subfolder per (files, tokenizer, fractions) (default runs/token-cache)",
    };

    public IEnumerable<Option> All => [Data, ValidationFraction, TestFraction, TokenCache];

    /// <summary>The corpus path given.</summary>
    public string Path(ParseResult result) => result.GetValue(Data)!;

    /// <summary>The split and cache settings given.</summary>
    public CorpusOptions Options(ParseResult result) =>
        new(new SplitFractions(result.GetValue(ValidationFraction), result.GetValue(TestFraction)), result.GetValue(TokenCache));
}
