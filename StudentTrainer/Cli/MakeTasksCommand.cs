using System.CommandLine;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Data;

namespace Distill.StudentTrainer.Cli;

/// <summary>
/// <c>make-tasks</c>: a prompt → response task set cut from the corpus (prompt = a passage, response = its true
/// continuation): <c>train.jsonl</c> from the train split, <c>validation.jsonl</c> from the validation split (DistiLLM's
/// adaptive schedule watches the loss on it) and <c>test.jsonl</c> from the test split. Each split is picked on its own
/// with the same seed, so the count asked of one split never changes the pairs of another.
/// </summary>
public static class MakeTasksCommand
{
    public static Command Create()
    {
        var corpus = new CorpusCliOptions();
        Option<string> tokenizer = new("--tokenizer") { Description = "Folder with vocab.json + merges.txt (or tokenizer.json)", DefaultValueFactory = _ => "models/austen-gpt" };
        Option<string> output = new("--out") { Description = "Folder to write train.jsonl, validation.jsonl and test.jsonl to", DefaultValueFactory = _ => "data/tasks" };
        Option<int> train = new("--train") { Description = "Pairs from the train split (fewer if fewer fit without overlap)", DefaultValueFactory = _ => 2000 };
        Option<int> validation = new("--validation") { Description = "Pairs from the validation split (fewer if fewer fit without overlap)", DefaultValueFactory = _ => 200 };
        Option<int> test = new("--test") { Description = "Pairs from the test split (fewer if fewer fit without overlap)", DefaultValueFactory = _ => 200 };
        Option<int> promptTokens = new("--prompt-tokens") { Description = "Tokens of each prompt", DefaultValueFactory = _ => 64 };
        Option<int> responseTokens = new("--response-tokens") { Description = "Tokens of each response", DefaultValueFactory = _ => 64 };
        Option<int> seed = CliOptions.Seed();

        var command = new Command("make-tasks", "Cut prompt → continuation pairs from the corpus into train.jsonl, validation.jsonl and test.jsonl");
        foreach (Option option in new Option[] { tokenizer, output, train, validation, test, promptTokens, responseTokens, seed }.Concat(corpus.All))
            command.Options.Add(option);
        command.SetAction(result =>
        {
            int trainCount = result.GetValue(train);
            int validationCount = result.GetValue(validation);
            int testCount = result.GetValue(test);
            if (trainCount < 1) throw new ArgumentException($"--train must be ≥ 1, got {trainCount}");
            if (validationCount < 1) throw new ArgumentException($"--validation must be ≥ 1, got {validationCount}");
            if (testCount < 1) throw new ArgumentException($"--test must be ≥ 1, got {testCount}");
            var options = new TaskSetOptions
            {
                PromptTokens = result.GetValue(promptTokens),
                ResponseTokens = result.GetValue(responseTokens),
                Seed = result.GetValue(seed),
            };
            options.Validate();

            LoadedTokenizer loaded = TokenizerLoader.Load(CliOptions.RequireFolder(result.GetValue(tokenizer)!, "tokenizer"));
            var (trainSplit, validationSplit, testSplit) = CorpusTokens.Load(corpus.Path(result), loaded, corpus.Options(result));
            options = options with { SeparatorId = loaded.EosId };
            string folder = result.GetValue(output)!;
            Directory.CreateDirectory(folder);
            Write(Path.Combine(folder, TaskSetFiles.Train), "train", trainSplit, trainCount, options, loaded);
            Write(Path.Combine(folder, TaskSetFiles.Validation), "validation", validationSplit, validationCount, options, loaded);
            Write(Path.Combine(folder, TaskSetFiles.Test), "test", testSplit, testCount, options, loaded);
            return 0;
        });
        return command;
    }

    private static void Write(string path, string split, TokenStream stream, int count, TaskSetOptions options, LoadedTokenizer tokenizer)
    {
        IReadOnlyList<TaskPassage> passages = TaskSetBuilder.Pick(stream, count, options);
        if (passages.Count == 0)
            throw new InvalidDataException($"no passage of {options.PromptTokens + options.ResponseTokens} tokens fits the {split} split");
        PromptResponseFile.Write(path, passages.Select(p => p.Decode(tokenizer)));
        string shortfall = passages.Count < count ? $" (only {passages.Count} of the {count} asked fit without overlap)" : "";
        Console.WriteLine($"{split}: {passages.Count} pairs from {stream.Count:N0} tokens{shortfall} → {path}");
    }
}
