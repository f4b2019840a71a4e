// Text tokens as a model counts them: o200k_base (GPT-4o's encoding) from gpt-tokenizer, a devDependency.
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';

export const tokenizer = 'o200k_base (gpt-tokenizer)';
export const tokens = (text: string): number => countTokens(text);
