using System.CommandLine;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Generation;
using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Cli;

/// <summary><c>generate</c>: continues a text prompt with a trained checkpoint.</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        Option<string> checkpoint = new("--checkpoint") { Description = "A model folder (Hugging Face config.json + safetensors, or model.json + model.weights) with tokenizer files, or a run folder (its latest checkpoint)", Required = true };
        Option<string> prompt = new("--prompt") { Description = "Text to continue", Required = true };
        Option<int> maxNew = new("--max-new-tokens") { Description = "Tokens to generate", DefaultValueFactory = _ => 200 };
        Option<double> temperature = new("--temperature") { Description = "Sampling temperature (0 = greedy)", DefaultValueFactory = _ => 0.8 };
        Option<int> topK = new("--top-k") { Description = "Sample among the k most likely tokens (0 = all)", DefaultValueFactory = _ => 0 };
        Option<double> topP = new("--top-p") { Description = "Nucleus sampling mass", DefaultValueFactory = _ => 0.95 };
        Option<int> seed = CliOptions.Seed();
        Option<string> device = CliOptions.Device();
        Option<int> threads = CliOptions.Threads();

        var command = new Command("generate", "Continue a prompt with a trained model");
        foreach (Option option in new Option[] { checkpoint, prompt, maxNew, temperature, topK, topP, seed, device, threads })
            command.Options.Add(option);
        command.SetAction(result =>
        {
            Device torchDevice = CliOptions.ApplyRuntime(result.GetValue(device)!, result.GetValue(threads));
            string folder = CliOptions.RequireFolder(result.GetValue(checkpoint)!, "checkpoint");
            LoadedTokenizer tokenizer = TokenizerLoader.Load(folder);
            using CausalLm model = ModelFolder.Load(folder, torchDevice);
            IReadOnlyList<int> promptIds = tokenizer.Encode(result.GetValue(prompt)!);
            if (promptIds.Count == 0) throw new ArgumentException("--prompt encodes to no tokens");
            var options = new GenerationOptions
            {
                MaxNewTokens = result.GetValue(maxNew),
                Temperature = result.GetValue(temperature),
                TopK = result.GetValue(topK),
                TopP = result.GetValue(topP),
                Seed = result.GetValue(seed),
                EosId = tokenizer.EosId,
            };
            using Tensor input = tensor(promptIds.Select(i => (long)i).ToArray(), [1, promptIds.Count]).to(torchDevice);
            using Tensor output = TextGenerator.Generate(model, input, options);
            long[] ids = output[0].cpu().data<long>().ToArray();
            Console.WriteLine(tokenizer.Decode(ids.Select(i => (int)i)));
            return 0;
        });
        return command;
    }
}
