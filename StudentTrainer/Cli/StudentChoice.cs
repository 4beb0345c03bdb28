using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Export;
using Distill.StudentTrainer.Model;

namespace Distill.StudentTrainer.Cli;

/// <summary>
/// The student a <c>train</c> run trains, from <c>--student</c>, <c>--init</c> and the tokenizer: its configuration and the
/// folder whose weights it starts from (null: random weights, initialised as Hugging Face initialises the family).
/// </summary>
/// <remarks>
/// <c>--student</c> is a preset (<c>student</c>, <c>teacher</c>), a configuration file, or a model folder; a folder with
/// weights is also where the student starts unless <c>--init</c> names another. With <c>--init</c> alone the student is the
/// model in that folder. A student that starts from weights keeps its vocabulary and must hold every id of the tokenizer;
/// one with random weights is sized to the tokenizer.
/// </remarks>
public sealed record StudentChoice(ModelConfig Config, string? InitialWeights)
{
    public const string DefaultStudent = "models/default-student.json";
    public const string DefaultTokenizer = "models/austen-gpt";

    /// <summary>The tokenizer folder of a run: <paramref name="tokenizer"/>, else the student's or the initial weights' folder when it holds tokenizer files, else the default teacher's.</summary>
    public static string TokenizerFolder(string? tokenizer, string? student, string? initialWeights)
    {
        if (tokenizer is not null) return tokenizer;
        foreach (string? folder in new[] { student, initialWeights })
            if (folder is not null && Directory.Exists(folder) && TokenizerFileCopy.HoldsTokenizer(folder))
                return folder;
        return DefaultTokenizer;
    }

    /// <exception cref="ArgumentException">An unknown student, or a shape the weights or the tokenizer do not fit.</exception>
    public static StudentChoice Resolve(string? student, string? initialWeights, LoadedTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (initialWeights is not null && !ModelFolder.HoldsWeights(CliOptions.RequireFolder(initialWeights, "--init")))
            throw new ArgumentException($"--init '{initialWeights}' holds no model weights");
        string? weights = initialWeights ?? (student is not null && Directory.Exists(student) && ModelFolder.HoldsWeights(student) ? student : null);
        ModelConfig config = student is null && weights is not null
            ? ModelFolder.ReadConfig(weights)
            : ModelFolder.ResolveConfig(student ?? DefaultStudent);
        if (weights is null) return new StudentChoice(config.WithVocabSize(tokenizer.VocabSize), null);

        ModelConfig stored = ModelFolder.ReadConfig(weights);
        if (!stored.SameShape(config) && !stored.SameShape(config.WithVocabSize(stored.VocabSize)))
            throw new ArgumentException($"the weights in '{weights}' are of another model shape than --student '{student}'");
        if (tokenizer.VocabSize > stored.VocabSize)
            throw new ArgumentException(
                $"the tokenizer has {tokenizer.VocabSize} tokens but the student in '{weights}' embeds only {stored.VocabSize}");
        return new StudentChoice(stored, weights);
    }
}
