using System.CommandLine;
using System.Text.Json;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Export;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Training;

namespace Distill.StudentTrainer.Cli;

/// <summary><c>pretrain</c>: trains a GPT from scratch on the train split with cross-entropy.</summary>
public static class PretrainCommand
{
    public static Command Create()
    {
        Option<string> model = new("--model") { Description = "Model configuration: teacher, student, or a model.json file (e.g. models/default-student.json)", DefaultValueFactory = _ => "teacher" };
        Option<string> tokenizer = new("--tokenizer") { Description = "Folder with vocab.json + merges.txt (or tokenizer.json)", Required = true };
        Option<string> output = new("--out") { Description = "Run folder: checkpoint, tokenizer copy, summary.json", Required = true };
        Option<int> steps = new("--steps") { Description = "Optimiser steps", DefaultValueFactory = _ => 1200 };
        Option<int> batch = new("--batch-size") { Description = "Sequences per step", DefaultValueFactory = _ => 16 };
        Option<double> learningRate = new("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => 1e-3 };
        Option<int> warmup = new("--warmup") { Description = "Warmup steps", DefaultValueFactory = _ => 100 };
        Option<int> evalInterval = new("--eval-interval") { Description = "Validate and checkpoint every N steps", DefaultValueFactory = _ => 200 };
        var corpus = new CorpusCliOptions();
        Option<string> device = CliOptions.Device();
        Option<int> threads = CliOptions.Threads();
        Option<int> seed = CliOptions.Seed();

        var command = new Command("pretrain", "Train a GPT from scratch with next-token cross-entropy");
        foreach (Option option in new Option[] { model, tokenizer, output, steps, batch, learningRate, warmup, evalInterval, device, threads, seed }.Concat(corpus.All))
            command.Options.Add(option);
        command.SetAction(result =>
        {
            var torchDevice = CliOptions.ApplyRuntime(result.GetValue(device)!, result.GetValue(threads));
            string tokenizerFolder = CliOptions.RequireFolder(result.GetValue(tokenizer)!, "tokenizer");
            LoadedTokenizer loaded = TokenizerLoader.Load(tokenizerFolder);
            ModelConfig config = ModelFolder.ResolveConfig(result.GetValue(model)!) with { VocabSize = loaded.VocabSize };
            var options = new PretrainOptions
            {
                Model = config,
                Steps = result.GetValue(steps),
                BatchSize = result.GetValue(batch),
                PeakLearningRate = result.GetValue(learningRate),
                FinalLearningRate = result.GetValue(learningRate) / 10,
                WarmupSteps = result.GetValue(warmup),
                EvalInterval = result.GetValue(evalInterval),
                Seed = result.GetValue(seed),
            };
            options.Validate();
            string folder = result.GetValue(output)!;
            Directory.CreateDirectory(folder);
            TokenizerFileCopy.CopyInto(tokenizerFolder, folder);

            var (train, validation, test) = CorpusTokens.Load(corpus.Path(result), loaded, corpus.Options(result));
            PretrainResult outcome = ConsoleTrainingReporter.Run("pretrain",
                reporter => new Pretrainer(options, reporter).Run(train, validation, test, folder, torchDevice));

            File.WriteAllText(Path.Combine(folder, "summary.json"), JsonSerializer.Serialize(
                new { options, result = outcome, command = string.Join(' ', result.Tokens.Select(t => t.Value)) },
                new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"done: {outcome.Parameters:N0} parameters, {outcome.TokensPerSecond:N0} tokens/s, " +
                              $"validation perplexity {outcome.ValidationPerplexity:F2}, test perplexity {outcome.TestPerplexity:F2} → {folder}");
            return 0;
        });
        return command;
    }
}
